#ifndef CODE_INTERPRETER_CORE_REALM_SCRIPT_INSTALLER_H_
#define CODE_INTERPRETER_CORE_REALM_SCRIPT_INSTALLER_H_

#include <v8.h>

namespace ci {

/**
 * A script of the form `(function (target) { ... })`, compiled once per isolate and called in
 * each context it furnishes with one of that context's globals (the wrappers of WebAssembly).
 * Use with the isolate locked.
 */
class ScriptInstaller {
 public:
  // `source` and `global` must outlive the installer (string literals).
  ScriptInstaller(v8::Isolate* isolate, const char* source, const char* global)
      : isolate_(isolate), source_(source), global_(global) {}

  // Calls the script's function with the entered context's global. False when the script could
  // not be compiled or run, or the global is not an object.
  bool Install(v8::Local<v8::Context> context);

 private:
  v8::Isolate* isolate_;
  const char* source_;
  const char* global_;
  v8::Global<v8::UnboundScript> script_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_REALM_SCRIPT_INSTALLER_H_
