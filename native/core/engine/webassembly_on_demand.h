#ifndef CODE_INTERPRETER_CORE_ENGINE_WEBASSEMBLY_ON_DEMAND_H_
#define CODE_INTERPRETER_CORE_ENGINE_WEBASSEMBLY_ON_DEMAND_H_

#include <v8.h>

#include <vector>

namespace ci {

/**
 * Whether contexts get the WebAssembly object only when asked for it.
 *
 * By default V8 builds the WebAssembly namespace (a dozen constructors and their prototypes)
 * into every new context: about a tenth of a new context's cost, thrown away at every level
 * but the permissive one, which is the only one to offer it. With V8's flags
 * --no-expose-wasm --no-validate-asm it builds none, and the permissive contexts get it from
 * V8's own installer (`v8::internal::WasmJs::Install`). That installer is internal, so the
 * build checks that the library exports it (CI_HAVE_WASM_INSTALL); without it V8 keeps building
 * WebAssembly everywhere and the other levels delete it.
 */
constexpr bool kWebAssemblyOnDemand =
#ifdef CI_HAVE_WASM_INSTALL
    true;
#else
    false;
#endif

// V8 flags that stop the default construction (none without the installer). asm.js then
// runs as plain JavaScript, with the same results.
std::vector<const char*> WebAssemblyOnDemandFlags();

// Gives the entered context its WebAssembly global, as V8 does by default. Does nothing when
// V8 builds it anyway.
void InstallWebAssembly(v8::Isolate* isolate);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_WEBASSEMBLY_ON_DEMAND_H_
