#ifndef CODE_INTERPRETER_CORE_REALM_ARRAY_GUARD_H_
#define CODE_INTERPRETER_CORE_REALM_ARRAY_GUARD_H_

#include <v8.h>

namespace ci {

/**
 * The length bound on Array.prototype methods (and Array.from) that V8 runs in loops without
 * checking for termination: installed into every context a sandbox makes. A script compiled
 * once per isolate replaces the methods with guarded ones, given three native helpers from
 * templates also made once, so installing it costs a context one run of that script.
 * Use with the isolate locked.
 */
class ArrayGuard {
 public:
  explicit ArrayGuard(v8::Isolate* isolate) : isolate_(isolate) {}

  // False when the installer could not be compiled or run in `context`.
  bool Install(v8::Local<v8::Context> context);

 private:
  bool Prepare();

  v8::Isolate* isolate_;
  v8::Global<v8::UnboundScript> installer_;
  v8::Global<v8::FunctionTemplate> is_array_;
  v8::Global<v8::FunctionTemplate> slices_plainly_;
  v8::Global<v8::FunctionTemplate> unchanged_realm_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_REALM_ARRAY_GUARD_H_
