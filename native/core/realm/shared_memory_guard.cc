#include "core/realm/shared_memory_guard.h"

namespace ci {
namespace {

// Takes the intrinsics it needs before the script runs, so nothing the script replaces later
// reaches it. A memory's buffer is shared when ArrayBuffer's own byteLength getter refuses it.
constexpr char kInstaller[] = R"js((function (WebAssembly) {
  "use strict";
  const {apply, construct, getOwnPropertyDescriptor, ownKeys} = Reflect;
  const {Memory, Instance, instantiate} = WebAssembly;
  const bufferOf = getOwnPropertyDescriptor(Memory.prototype, "buffer").get;
  const exportsOf = getOwnPropertyDescriptor(Instance.prototype, "exports").get;
  const byteLengthOf = getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength").get;
  const then = Promise.prototype.then;
  const TypeErrorOf = TypeError;
  const refuse = () => {
    throw new TypeErrorOf("shared WebAssembly memory is not offered in this sandbox");
  };
  const checkMemory = (value) => {
    let buffer;
    try {
      buffer = apply(bufferOf, value, []);
    } catch {
      return;  // not a memory
    }
    try {
      apply(byteLengthOf, buffer, []);
    } catch {
      refuse();
    }
  };
  const checkInstance = (instance) => {
    const exported = apply(exportsOf, instance, []);
    for (const key of ownKeys(exported)) checkMemory(exported[key]);
    return instance;
  };
  // Each prototype's constructor is the guarded one too: otherwise any memory or instance
  // would lead back to the unguarded constructor.
  const guardedMemory = new Proxy(Memory, {
    construct(target, args, newTarget) {
      const memory = construct(target, args, newTarget);
      checkMemory(memory);
      return memory;
    },
  });
  const guardedInstance = new Proxy(Instance, {
    construct(target, args, newTarget) {
      return checkInstance(construct(target, args, newTarget));
    },
  });
  Memory.prototype.constructor = guardedMemory;
  Instance.prototype.constructor = guardedInstance;
  WebAssembly.Memory = guardedMemory;
  WebAssembly.Instance = guardedInstance;
  WebAssembly.instantiate = new Proxy(instantiate, {
    apply(target, self, args) {
      return apply(then, apply(target, self, args), [(result) => {
        let instance;
        try {
          instance = apply(exportsOf, result, []) && result;
        } catch {
          instance = result.instance;  // {module, instance}, made by V8
        }
        checkInstance(instance);
        return result;
      }]);
    },
  });
}))js";

}  // namespace

SharedMemoryGuard::SharedMemoryGuard(v8::Isolate* isolate)
    : installer_(isolate, kInstaller, "WebAssembly") {}

}  // namespace ci
