#ifndef CODE_INTERPRETER_CORE_MODULES_MODULE_WRAPPER_H_
#define CODE_INTERPRETER_CORE_MODULES_MODULE_WRAPPER_H_

#include <v8.h>

#include <string>
#include <string_view>
#include <vector>

namespace ci {

/**
 * A module's code compiled inside an outer function, `(function (<scope names>) {` ... `})`,
 * as both the CommonJS loader and ES modules run as functions use it: compiled once per
 * isolate, bound to each context that runs it. Its body is proven to stay inside the wrapper
 * before anything of it runs (a body that closed it early would run at the script's top level).
 */
class ModuleWrapper {
 public:
  // Keeps `unbound`, compiled from `wrapped` (the wrapper's whole text), and which of
  // `scope_names` the module's own `body` names. Where V8 offers no side-effect-free runs,
  // first V8 compiles `body` alone as a function body (in the isolate's current context);
  // false with its SyntaxError (or a stop) thrown when it does not: then the body would not
  // stay inside the wrapper.
  bool Keep(v8::Isolate* isolate,
            v8::Local<v8::UnboundScript> unbound,
            v8::Local<v8::String> wrapped,
            std::string_view body,
            const std::vector<std::string>& scope_names);
  bool kept() const { return !script_.IsEmpty(); }

  // The outer function, bound to `context`. The first run proves the body stays inside the
  // wrapper where Keep() did not: without side effects, which nothing after an early close
  // gets past. It also checks that the function spans the whole wrapper. A SyntaxError saying
  // `not_one_body` when either fails.
  v8::MaybeLocal<v8::Function> Run(v8::Local<v8::Context> context, const char* not_one_body);

  // The outer function's arguments: the value of each scope name from `scope`, read only where
  // the body names it (reading one may build a lazy global), undefined elsewhere.
  bool ScopeValues(v8::Local<v8::Context> context,
                   v8::Local<v8::Object> scope,
                   const std::vector<std::string>& scope_names,
                   std::vector<v8::Local<v8::Value>>* values) const;

 private:
  v8::Global<v8::UnboundScript> script_;
  int function_length_ = 0;  // what the outer function must span: all but the parentheses
  bool checked_ = false;
  std::vector<bool> names_used_;  // by scope name
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_MODULES_MODULE_WRAPPER_H_
