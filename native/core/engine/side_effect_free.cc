#include "core/engine/side_effect_free.h"

#include <string>

#include "core/engine/v8_text.h"

#ifdef CI_HAVE_SIDE_EFFECT_FREE_EVAL
// Declared as V8's src/debug/debug-interface.h declares them; that header is not installed.
namespace v8 {
namespace debug {
enum class EvaluateGlobalMode {
  kDefault,
  kDisableBreaks,
  kDisableBreaksAndThrowOnSideEffect,
};
V8_EXPORT MaybeLocal<Value> EvaluateGlobalForTesting(Isolate* isolate,
                                                     Local<Script> function,
                                                     EvaluateGlobalMode mode,
                                                     bool repl);
V8_EXPORT MaybeLocal<Value> CallFunctionOn(Local<Context> context,
                                           Local<Function> function,
                                           Local<Value> recv,
                                           int argc,
                                           Local<Value> argv[],
                                           bool throw_on_side_effect);
}  // namespace debug
}  // namespace v8
#endif

namespace ci {
namespace {

thread_local bool evaluating = false;

/** Marks the thread as running in the mode for the scope's lifetime. */
class EvaluatingScope {
 public:
  EvaluatingScope() { evaluating = true; }
  ~EvaluatingScope() { evaluating = false; }
  EvaluatingScope(const EvaluatingScope&) = delete;
  EvaluatingScope& operator=(const EvaluatingScope&) = delete;
};

}  // namespace

v8::MaybeLocal<v8::Value> RunScriptWithoutSideEffects(v8::Isolate* isolate,
                                                      v8::Local<v8::Script> script) {
#ifdef CI_HAVE_SIDE_EFFECT_FREE_EVAL
  EvaluatingScope scope;
  return v8::debug::EvaluateGlobalForTesting(
      isolate, script, v8::debug::EvaluateGlobalMode::kDisableBreaksAndThrowOnSideEffect, false);
#else
  return v8::MaybeLocal<v8::Value>();
#endif
}

v8::MaybeLocal<v8::Value> CallWithoutSideEffects(v8::Local<v8::Context> context,
                                                 v8::Local<v8::Function> function) {
#ifdef CI_HAVE_SIDE_EFFECT_FREE_EVAL
  EvaluatingScope scope;
  return v8::debug::CallFunctionOn(context, function, v8::Undefined(context->GetIsolate()), 0,
                                   nullptr, true);
#else
  return v8::MaybeLocal<v8::Value>();
#endif
}

bool StoppedForASideEffect(v8::Isolate* isolate, const v8::TryCatch& caught) {
  // V8's message for the stop (MessageTemplate::kNoSideEffectDebugEvaluate).
  return !caught.HasTerminated() && !caught.Message().IsEmpty() &&
         ToUtf8(isolate, caught.Message()->Get()).find("Possible side-effect") != std::string::npos;
}

bool InSideEffectFreeEvaluation() {
  return evaluating;
}

}  // namespace ci
