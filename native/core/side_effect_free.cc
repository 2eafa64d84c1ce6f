#include "core/side_effect_free.h"

#ifdef CI_HAVE_SIDE_EFFECT_FREE_EVAL
// Declared as V8's src/debug/debug-interface.h declares it; that header is not installed.
namespace v8 {
namespace debug {
enum class EvaluateGlobalMode {
  kDefault,
  kDisableBreaks,
  kDisableBreaksAndThrowOnSideEffect,
};
V8_EXPORT MaybeLocal<Value> EvaluateGlobal(Isolate* isolate,
                                           Local<String> source,
                                           EvaluateGlobalMode mode,
                                           bool repl_mode);
}  // namespace debug
}  // namespace v8
#endif

namespace ci {
namespace {

thread_local bool evaluating = false;

}  // namespace

v8::MaybeLocal<v8::Value> EvaluateWithoutSideEffects(v8::Isolate* isolate,
                                                     v8::Local<v8::String> source) {
#ifdef CI_HAVE_SIDE_EFFECT_FREE_EVAL
  evaluating = true;
  v8::MaybeLocal<v8::Value> result = v8::debug::EvaluateGlobal(
      isolate, source, v8::debug::EvaluateGlobalMode::kDisableBreaksAndThrowOnSideEffect, false);
  evaluating = false;
  return result;
#else
  return v8::MaybeLocal<v8::Value>();
#endif
}

bool InSideEffectFreeEvaluation() {
  return evaluating;
}

}  // namespace ci
