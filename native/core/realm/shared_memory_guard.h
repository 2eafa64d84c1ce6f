#ifndef CODE_INTERPRETER_CORE_REALM_SHARED_MEMORY_GUARD_H_
#define CODE_INTERPRETER_CORE_REALM_SHARED_MEMORY_GUARD_H_

#include <v8.h>

#include "core/realm/script_installer.h"

namespace ci {

/**
 * No level offers shared memory (SharedArrayBuffer and Atomics are removed from every context).
 * V8 10 keeps WebAssembly's shared memories off with a flag; V8 12 and later ship WebAssembly
 * threads and have no such flag, so a permissive context's `new WebAssembly.Memory({shared:
 * true})`, or an instance exporting a shared memory, would hand the script a
 * SharedArrayBuffer. There this guard wraps the constructors and `instantiate` so that a
 * shared memory never reaches the script: each result is checked after V8 made it (a
 * descriptor's getter cannot answer one thing to a check and another to V8), and refused with a
 * TypeError. A script compiled once per isolate installs it into each context that offers
 * WebAssembly. Use with the isolate locked.
 */
class SharedMemoryGuard {
 public:
  // Whether this V8 needs the guard (no flag turns its WebAssembly threads off).
  static constexpr bool kNeeded = V8_MAJOR_VERSION >= 12;

  explicit SharedMemoryGuard(v8::Isolate* isolate);

  // Wraps the entered context's WebAssembly. False when the installer could not be compiled or
  // run in `context`.
  bool Install(v8::Local<v8::Context> context) { return installer_.Install(context); }

 private:
  ScriptInstaller installer_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_REALM_SHARED_MEMORY_GUARD_H_
