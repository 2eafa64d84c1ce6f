#include "core/modules/module_wrapper.h"

#include "core/engine/side_effect_free.h"
#include "core/engine/v8_text.h"
#include "core/modules/module_loader.h"

namespace ci {

bool ModuleWrapper::Keep(v8::Isolate* isolate,
                         v8::Local<v8::UnboundScript> unbound,
                         v8::Local<v8::String> wrapped,
                         std::string_view body,
                         const std::vector<std::string>& scope_names) {
  if (!kSideEffectFreeEvaluation) {
    // V8 compiles the body alone as a function's: a body that closes the wrapper early
    // (`}}); ...`) is a SyntaxError there, as it is for Node. A second parse of the module;
    // where V8 offers side-effect-free runs, Run() proves the same for less.
    v8::Local<v8::String> body_text;
    if (!NewText(isolate, body).ToLocal(&body_text)) {
      return false;
    }
    v8::ScriptCompiler::Source body_source(body_text);
    if (v8::ScriptCompiler::CompileFunction(isolate->GetCurrentContext(), &body_source).IsEmpty()) {
      return false;
    }
  }
  script_.Reset(isolate, unbound);
  function_length_ = wrapped->Length() - 2;
  checked_ = false;
  names_used_.clear();
  for (const std::string& name : scope_names) {
    names_used_.push_back(ModuleLoader::NamesWord(body, name));
  }
  return true;
}

v8::MaybeLocal<v8::Function> ModuleWrapper::Run(v8::Local<v8::Context> context,
                                                const char* not_one_body) {
  v8::Isolate* isolate = context->GetIsolate();
  if (script_.IsEmpty()) {  // a caller's mistake, never a crash: nothing was kept to run
    isolate->ThrowException(
        v8::Exception::Error(NewString(isolate, "a module was run before it was compiled")));
    return v8::MaybeLocal<v8::Function>();
  }
  v8::Local<v8::Script> bound = script_.Get(isolate)->BindToCurrentContext();
  v8::Local<v8::Value> value;
  if (!checked_ && kSideEffectFreeEvaluation && !InSideEffectFreeEvaluation()) {
    // The first run, without side effects: the one function expression of a body that stays
    // inside has none, so code after an early close is stopped before it changes anything.
    // (A run already in that mode is stopped the same way.)
    v8::TryCatch try_catch(isolate);
    if (!RunScriptWithoutSideEffects(isolate, bound).ToLocal(&value) &&
        !StoppedForASideEffect(isolate, try_catch)) {
      try_catch.ReThrow();  // a termination, or what the engine ran out of
      return v8::MaybeLocal<v8::Function>();
    }
  } else if (!bound->Run(context).ToLocal(&value)) {
    return v8::MaybeLocal<v8::Function>();
  }
  // The function the wrapper evaluated to must also span all of it, but its parentheses.
  if (!checked_) {
    v8::Local<v8::String> text;
    if (value.IsEmpty() || !value->IsFunction() ||
        !value.As<v8::Function>()->FunctionProtoToString(context).ToLocal(&text) ||
        text->Length() != function_length_) {
      isolate->ThrowException(v8::Exception::SyntaxError(NewString(isolate, not_one_body)));
      return v8::MaybeLocal<v8::Function>();
    }
    checked_ = true;
  }
  return value.As<v8::Function>();
}

bool ModuleWrapper::ScopeValues(v8::Local<v8::Context> context,
                                v8::Local<v8::Object> scope,
                                const std::vector<std::string>& scope_names,
                                std::vector<v8::Local<v8::Value>>* values) const {
  v8::Isolate* isolate = context->GetIsolate();
  values->clear();
  values->reserve(scope_names.size());
  for (size_t i = 0; i < scope_names.size(); ++i) {
    v8::Local<v8::Value> value = v8::Undefined(isolate);
    if (i < names_used_.size() && names_used_[i] &&
        !scope->Get(context, NewString(isolate, scope_names[i].c_str())).ToLocal(&value)) {
      return false;
    }
    values->push_back(value);
  }
  return true;
}

}  // namespace ci
