#ifndef CODE_INTERPRETER_CORE_MODULES_ES_MODULE_SOURCE_H_
#define CODE_INTERPRETER_CORE_MODULES_ES_MODULE_SOURCE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ci {

/**
 * An ES module's source made the body of a plain function, as a bundler makes it: its import
 * declarations become constants the function receives, its export declarations plain
 * declarations whose values it returns. Module code run this way reads its imports as
 * ordinary variables; V8's side-effect-free evaluation refuses every read of a module
 * variable, so code that calls into a module linked by V8 is never served from a recycled
 * context.
 *
 * The values are taken once, after each module has run, so a module qualifies only when that
 * is exactly what linking would give:
 *   - no binding it exports is written after its declaration (an exported `let` that a
 *     function assigns later would need a live binding);
 *   - no top-level await, no import.meta, no import attributes;
 *   - every export and import in a form read here (a destructuring export declaration is not).
 * The linker (es_module_functions.h) adds what the graph needs: no cycle among such modules.
 * Later writes, top-level await and import.meta are checked in es_module_source_checks.h;
 * the forms of the declarations as the rewrite reads them (es_module_source.cc).
 */
struct EsModuleSource {
  // The module's source with its import and export declarations blanked (lines and columns of
  // everything else stay), an anonymous default declaration named kDefaultLocal.
  std::string body;
  // The specifiers it imports from and re-exports, in order of first appearance.
  std::vector<std::string> requests;

  struct Import {
    size_t request;     // into requests
    std::string name;   // the export it reads, or "*" for the namespace
    std::string local;  // the constant it becomes
  };
  std::vector<Import> imports;

  struct LocalExport {
    std::string name;   // the export's name
    std::string local;  // the binding (or kDefaultLocal) whose value it is
  };
  std::vector<LocalExport> local_exports;

  struct Reexport {
    std::string name;  // the export's name
    size_t request;
    std::string imported;  // the export of that module, or "*" for its namespace
  };
  std::vector<Reexport> reexports;
  std::vector<size_t> star_exports;  // `export * from` requests
};

// The binding `export default <expression>` and an anonymous default declaration get.
inline constexpr std::string_view kDefaultLocal = "__ci$d";
// Names the wrapper itself uses start with this: a module that has one is not rewritten.
inline constexpr std::string_view kWrapperPrefix = "__ci$";

/** The module `body` as a function body, or empty (with the reason) when it does not qualify. */
std::optional<EsModuleSource> ReadEsModuleSource(std::string_view body, std::string* why_not);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_MODULES_ES_MODULE_SOURCE_H_
