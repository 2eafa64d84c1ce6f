#ifndef CODE_INTERPRETER_CORE_REALM_WEBASSEMBLY_PROMISES_H_
#define CODE_INTERPRETER_CORE_REALM_WEBASSEMBLY_PROMISES_H_

#include <v8.h>

#include "core/realm/script_installer.h"

namespace ci {

/**
 * `WebAssembly.compile(bytes)` and `WebAssembly.instantiate(bytes)` compile on V8's background
 * threads and settle their promise from a task V8 posts to the isolate's foreground queue.
 * Nothing of ours runs that queue: pumping it would also run tasks left by earlier executions
 * (a FinalizationRegistry's cleanup, in a context of a past run, during the current one). So
 * in each context that offers WebAssembly this wraps the two so that, given bytes, they compile
 * at once (as `new WebAssembly.Module` does) and return a promise already settled, fulfilled
 * with what V8 would give or rejected with the same error. `instantiate` of a module object
 * needs no compiling and is V8's own. A script compiled once per isolate installs it; use with
 * the isolate locked, after any other wrapper of WebAssembly (the shared-memory guard), whose
 * constructors it then uses.
 */
class WebAssemblyPromises {
 public:
  explicit WebAssemblyPromises(v8::Isolate* isolate);

  // Wraps the entered context's WebAssembly. False when the installer could not be compiled or
  // run in `context`.
  bool Install(v8::Local<v8::Context> context) { return installer_.Install(context); }

 private:
  ScriptInstaller installer_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_REALM_WEBASSEMBLY_PROMISES_H_
