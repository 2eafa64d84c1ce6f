#ifndef CODE_INTERPRETER_CORE_ENGINE_SIDE_EFFECT_FREE_H_
#define CODE_INTERPRETER_CORE_ENGINE_SIDE_EFFECT_FREE_H_

#include <v8.h>

namespace ci {

/**
 * Whether this V8 offers side-effect-free evaluation: the mode V8's debugger uses to preview
 * an expression without changing the page. It is part of V8's debug interface, not of its
 * public API, so the build checks that the library exports it (CI_HAVE_SIDE_EFFECT_FREE_EVAL).
 *
 * In that mode V8 stops the script (as an EvalError) at the first write to any object that
 * existed before it started, the first call of a builtin or API function not known to be free
 * of side effects, or any global declaration. Objects the script allocates itself it may
 * change freely. Both entry points below run already-compiled code, bound to the entered
 * context, exactly as the compiled path runs it (same script, same origin, same frames); each
 * returns empty when the code threw, was stopped, or when this V8 lacks the mode.
 */
constexpr bool kSideEffectFreeEvaluation =
#ifdef CI_HAVE_SIDE_EFFECT_FREE_EVAL
    true;
#else
    false;
#endif

// Runs a script as Script::Run would (the global proxy as receiver).
v8::MaybeLocal<v8::Value> RunScriptWithoutSideEffects(v8::Isolate* isolate,
                                                      v8::Local<v8::Script> script);

// Calls `function` with an undefined receiver and no arguments, as Function::Call would.
v8::MaybeLocal<v8::Value> CallWithoutSideEffects(v8::Local<v8::Context> context,
                                                 v8::Local<v8::Function> function);

// Whether what `caught` holds is V8's stop of one of the above at a side effect (rather than
// an exception the code threw, or what the engine ran out of).
bool StoppedForASideEffect(v8::Isolate* isolate, const v8::TryCatch& caught);

// True on the thread running either of the above, while it runs. The realm is then unchanged
// since it was made (every write to it is refused), which our own helpers may rely on.
bool InSideEffectFreeEvaluation();

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_SIDE_EFFECT_FREE_H_
