#ifndef CODE_INTERPRETER_CORE_MODULES_MODULE_LOADER_H_
#define CODE_INTERPRETER_CORE_MODULES_MODULE_LOADER_H_

#include <v8.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/engine/termination_state.h"
#include "core/modules/es_module_linker.h"
#include "core/modules/module_store.h"
#include "core/modules/module_wrapper.h"

namespace ci {

/**
 * `require` and `import` for one isolate, over a sandbox's ModuleStore. Each context gets a
 * `require` global and a registry of its own (module instances live and die with their
 * context); compiled CommonJS code is kept per isolate, so a module's source is compiled once
 * and every context only runs it. Module code runs as the sandbox's code does, under the same
 * limits and with no string code generation; a CommonJS module is wrapped in a function that
 * receives `exports`, `require`, `module`, `__filename`, `__dirname` (virtual paths) and
 * `global`, and an ES module is linked by the EsModuleLinker. require() of an ES module gives
 * its namespace; importing a CommonJS module gives a namespace whose `default` is its exports.
 * The sandbox's own code imports with `require.import(name)`, which its import declarations
 * are rewritten to (core/run/import_declarations.h), and with import().
 *
 * In V8's side-effect-free mode (a recycled attempt, core/run/recycled_run.h) `require` only hands
 * out modules the context already holds: loading one would change the context, so the attempt
 * is declined instead. Use with the isolate locked and entered.
 */
class ModuleLoader {
 public:
  // `execution` is the isolate's running execution, which a `require` in a recycled attempt may
  // decline.
  ModuleLoader(std::shared_ptr<const ModuleStore> store, ExecutionControl* execution)
      : store_(std::move(store)), execution_(execution), es_modules_(this) {}
  ~ModuleLoader();
  ModuleLoader(const ModuleLoader&) = delete;
  ModuleLoader& operator=(const ModuleLoader&) = delete;

  // What module code sees of a context whose globals a custom policy filtered: the removed
  // intrinsics (bound by name as the module function's parameters) and a `global` object
  // that still has every original global. Empty for an unfiltered context. Then globals that
  // module code has and the sandbox's own code does not (the web platform globals at strict),
  // as properties of `lazy` read when a module whose source names one runs: bound by name as
  // further parameters, undefined in a module that never names them.
  struct Scope {
    std::vector<std::string> names;
    v8::Local<v8::Array> values;
    v8::Local<v8::Object> global;
    std::vector<std::string> lazy_names;
    v8::Local<v8::Object> lazy;
  };

  // Gives a new context its `require` and an empty registry. False if V8 refused. The scope's
  // names must be the same for every context of the isolate.
  bool Install(v8::Local<v8::Context> context, const Scope& scope);

  // The modules the sandbox's own code asked for since ResetRecord(), first request first;
  // what a recycled attempt must match to keep its context.
  void ResetRecord();
  const std::vector<int>& requested() const { return requested_; }
  // A request of the sandbox's code failed (not found, or the module threw).
  bool request_failed() const { return request_failed_; }
  // Time the sandbox's code spent in require() since ResetRecord(): what a pristine context
  // that holds the modules saves.
  double load_ms() const { return load_ms_; }

  // Loads `files`, in order, into `context` as the sandbox's code requiring them would (an
  // entry ~file: importing it). False when one threw or the run was stopped.
  bool Preload(v8::Local<v8::Context> context, const std::vector<int>& files);

  // import(specifier) from the script or module named `resource_name`: a promise of what
  // importing gives, or of the reason it failed. Empty when the run is being stopped.
  v8::MaybeLocal<v8::Promise> ImportDynamically(v8::Local<v8::Context> context,
                                                v8::Local<v8::Value> resource_name,
                                                v8::Local<v8::String> specifier);

  // For the EsModuleLinker.
  const ModuleStore& store() const { return *store_; }
  bool stopping() const { return execution_->stopping(); }
  // A context's module registry; empty for a context without modules.
  static v8::MaybeLocal<v8::Object> RegistryOf(v8::Local<v8::Context> context);
  // The object module code takes the names of scope_names() from: `global` and `self`, the
  // intrinsics a filter removed, the globals of Scope::lazy. Empty without modules.
  static v8::MaybeLocal<v8::Object> ScopeObjectOf(v8::Local<v8::Context> context);
  const std::vector<std::string>& scope_names() const { return scope_names_; }
  // A module's source without its byte-order mark and shebang line.
  static std::string_view Body(std::string_view source);
  // Whether `source` has `name` as a whole word (it may use the binding of that name).
  static bool NamesWord(std::string_view source, std::string_view name);
  // Whether `file` runs as an ES module: by its format, or because it turned out to be written
  // as one (a .js file with import or export in a package that does not say "type": "module").
  bool IsEsModule(int file) const;
  // The namespace importing a CommonJS or JSON module gives: `default` (its exports) and each
  // own enumerable key of its exports. Loads the module first; kept in the registry.
  v8::MaybeLocal<v8::Object> CommonJsNamespace(v8::Local<v8::Context> context,
                                               v8::Local<v8::Object> registry,
                                               int file);
  // The namespace the registry holds for a module: a CommonJS module's CommonJsNamespace, or
  // an ES module's once it ran as functions (es_module_functions.h; undefined before).
  v8::MaybeLocal<v8::Value> HeldNamespace(v8::Local<v8::Context> context,
                                          v8::Local<v8::Object> registry,
                                          int file);

 private:
  static void Import(const v8::FunctionCallbackInfo<v8::Value>& info);
  // What the sandbox's own code gets of an ES module (by require() or an import declaration):
  // for a module V8 linked, an object whose properties read the module's exports live,
  // declared free of side effects (V8 counts reading a module namespace as one, which would
  // decline every recycled attempt); for a module run as a function, its namespace. Kept in
  // the registry.
  v8::MaybeLocal<v8::Object> ModuleView(v8::Local<v8::Context> context,
                                        v8::Local<v8::Object> registry,
                                        int file,
                                        v8::Local<v8::Value> name_space);
  static void ReadView(v8::Local<v8::Name> name, const v8::PropertyCallbackInfo<v8::Value>& info);
  // The registry keys of the view of an ES module and of the namespace of an imported
  // CommonJS module (module_imports.cc).
  static v8::Local<v8::Value> ViewKey(v8::Isolate* isolate, int file);
  static v8::Local<v8::Value> ImportedKey(v8::Isolate* isolate, int file);
  // A resolution's error as an import's ("Cannot import ...").
  static std::string ImportError(std::string error);
  // What importing `file` gives: an ES module's namespace (for import(), maybe a promise of
  // it), a CommonJS module's CommonJsNamespace.
  v8::MaybeLocal<v8::Value> ImportFile(v8::Local<v8::Context> context,
                                       v8::Local<v8::Object> registry,
                                       int file,
                                       EsModuleLinker::Purpose purpose);
  static void Require(const v8::FunctionCallbackInfo<v8::Value>& info);
  // require() and require.import() of `info[0]` from `from_file`.
  void Request(const v8::FunctionCallbackInfo<v8::Value>& info,
               v8::Local<v8::Object> registry,
               int from_file,
               RequestKind kind);
  // Compiles a CommonJS file's module function once per isolate. True with nothing compiled
  // when the file turns out to be an ES module (IsEsModule() says so from then on). It,
  // NoteFormat(), ModuleFunction(), IsEsModule(), Body() and NamesWord() are the loader's
  // compiling side (commonjs_compiler.cc).
  bool CompileCommonJs(v8::Isolate* isolate, int file);
  void NoteFormat(int file, ModuleFormat format) const;
  v8::MaybeLocal<v8::Function> NewRequire(v8::Local<v8::Context> context,
                                          v8::Local<v8::Object> registry,
                                          int from_file);
  // A module's exports, loading it into `registry` first if needed.
  v8::MaybeLocal<v8::Value> Load(v8::Local<v8::Context> context,
                                 v8::Local<v8::Object> registry,
                                 int file);
  v8::MaybeLocal<v8::Value> Evaluate(v8::Local<v8::Context> context,
                                     v8::Local<v8::Object> registry,
                                     v8::Local<v8::Object> module,
                                     int file);
  // The file's module function, bound to `context`.
  v8::MaybeLocal<v8::Function> ModuleFunction(v8::Local<v8::Context> context, int file);
  void Record(int file);

  std::shared_ptr<const ModuleStore> store_;
  ExecutionControl* const execution_;
  EsModuleLinker es_modules_;
  std::unordered_map<int, ModuleWrapper> compiled_;  // CommonJS files, by file
  // By file: how it runs, when that is not (only) its format's say (kJson: not decided yet).
  mutable std::vector<ModuleFormat> detected_formats_;
  std::vector<int> requested_;
  std::string header_;  // the module function's wrapper, up to its body
  // The names module code takes from its context's scope object (ScopeObjectOf), the same for
  // every context of the isolate.
  std::vector<std::string> scope_names_;
  bool request_failed_ = false;
  double load_ms_ = 0;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_MODULES_MODULE_LOADER_H_
