#include "core/engine/webassembly_on_demand.h"

#ifdef CI_HAVE_WASM_INSTALL
namespace v8::internal {
class Isolate;
// V8's installer of the WebAssembly namespace into the entered context (src/wasm/wasm-js.h).
class WasmJs {
 public:
  V8_EXPORT static void Install(Isolate* isolate, bool exposed_on_global_object);
};
}  // namespace v8::internal
#endif

namespace ci {

std::vector<const char*> WebAssemblyOnDemandFlags() {
  if (!kWebAssemblyOnDemand) {
    return {};
  }
  return {"--no-expose-wasm", "--no-validate-asm"};
}

void InstallWebAssembly(v8::Isolate* isolate) {
#ifdef CI_HAVE_WASM_INSTALL
  // A v8::Isolate is V8's internal Isolate under its public face.
  v8::internal::WasmJs::Install(reinterpret_cast<v8::internal::Isolate*>(isolate), true);
#else
  (void)isolate;
#endif
}

}  // namespace ci
