#ifndef CODE_INTERPRETER_CORE_SIDE_EFFECT_FREE_H_
#define CODE_INTERPRETER_CORE_SIDE_EFFECT_FREE_H_

#include <v8.h>

namespace ci {

/**
 * Whether this V8 offers side-effect-free evaluation: the mode V8's debugger uses to preview
 * an expression without changing the page. It is part of V8's debug interface, not of its
 * public API, so the build checks that the library exports it (CI_HAVE_SIDE_EFFECT_FREE_EVAL).
 */
constexpr bool kSideEffectFreeEvaluation =
#ifdef CI_HAVE_SIDE_EFFECT_FREE_EVAL
    true;
#else
    false;
#endif

/**
 * Runs `source` as a script in the entered context, with V8 stopping it (as an EvalError) at
 * the first write to any object that existed before it started, the first call of a builtin or
 * API function not known to be free of side effects, or any global declaration. Objects the
 * script allocates itself it may change freely. Empty when the script threw, was stopped, or
 * when this V8 lacks the mode.
 */
v8::MaybeLocal<v8::Value> EvaluateWithoutSideEffects(v8::Isolate* isolate,
                                                     v8::Local<v8::String> source);

// True on the thread running EvaluateWithoutSideEffects, while it runs. The realm is then
// unchanged since it was made (every write to it is refused), which our own helpers may rely on.
bool InSideEffectFreeEvaluation();

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_SIDE_EFFECT_FREE_H_
