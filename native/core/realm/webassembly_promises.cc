#include "core/realm/webassembly_promises.h"

namespace ci {
namespace {

// Takes the intrinsics it needs before the script runs, so nothing the script replaces later
// reaches it. Proxies keep each function's name, length and source text V8's own. A module
// object is told from bytes by Module.exports, which accepts only modules.
constexpr char kInstaller[] = R"js((function (WebAssembly) {
  "use strict";
  const {apply, construct} = Reflect;
  const {Module, Instance, compile, instantiate} = WebAssembly;
  const exportsOf = Module.exports;
  const PromiseOf = Promise;
  const {resolve, reject} = Promise;
  const isModule = (value) => {
    try {
      apply(exportsOf, undefined, [value]);
      return true;
    } catch {
      return false;
    }
  };
  const settled = (make) => {
    try {
      return apply(resolve, PromiseOf, [make()]);
    } catch (error) {
      return apply(reject, PromiseOf, [error]);
    }
  };
  WebAssembly.compile = new Proxy(compile, {
    apply(target, self, args) {
      return settled(() => construct(Module, [args[0]]));
    },
  });
  WebAssembly.instantiate = new Proxy(instantiate, {
    apply(target, self, args) {
      if (isModule(args[0])) {
        return apply(target, self, args);
      }
      return settled(() => {
        const module = construct(Module, [args[0]]);
        return {module, instance: construct(Instance, [module, args[1]])};
      });
    },
  });
}))js";

}  // namespace

WebAssemblyPromises::WebAssemblyPromises(v8::Isolate* isolate)
    : installer_(isolate, kInstaller, "WebAssembly") {}

}  // namespace ci
