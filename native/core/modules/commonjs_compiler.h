#ifndef CODE_INTERPRETER_CORE_MODULES_COMMONJS_COMPILER_H_
#define CODE_INTERPRETER_CORE_MODULES_COMMONJS_COMPILER_H_

#include <string>
#include <vector>

namespace ci {

/**
 * How a CommonJS file becomes its module function: ModuleLoader's compiling side
 * (commonjs_compiler.cc defines ModuleLoader::CompileCommonJs, ModuleFunction, IsEsModule,
 * Body and NamesWord), apart from its registry and its `require` and `import`
 * (module_loader.cc, module_imports.cc).
 *
 * The file's source is wrapped in an outer function that takes the module scope's names (so a
 * module may declare one of them itself) and gives Node's function of `exports`, `require`,
 * `module`, `__filename`, `__dirname`; the loader calls the one with the scope's values and the
 * other with the module's. The wrapper is compiled once per isolate and checked to be one
 * module body the first time it runs. A file read as CommonJS that is written as an ES module
 * runs as one: V8 says so when it compiles the wrapper, and a .js file of a "type": "module"
 * package without import or export runs as CommonJS.
 */

// The module function's wrapper up to the module's body, taking `scope_names` (the same for
// every context of an isolate).
std::string ModuleFunctionHeader(const std::vector<std::string>& scope_names);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_MODULES_COMMONJS_COMPILER_H_
