#ifndef CODE_INTERPRETER_CORE_RUN_PRISTINE_PRELOAD_H_
#define CODE_INTERPRETER_CORE_RUN_PRISTINE_PRELOAD_H_

#include <v8.h>

#include <vector>

#include "core/isolate/isolate_holder.h"

namespace ci {

/**
 * Loads `modules` (the ones a code required in its last run in a new context, in that order)
 * into a new pristine context before any recycled attempt sees it, under the execution's
 * deadline. That is the same as loading them when the code asks only if loading them changed
 * nothing else of the realm: no object that existed before (a global, a built-in or its
 * prototype: RealmFingerprint), no console output, no timer, no microtask. False when one threw
 * or changed any of these (or the execution is being stopped). Use with `context` entered.
 */
bool PreloadModules(IsolateHolder& holder,
                    v8::Local<v8::Context> context,
                    const std::vector<int>& modules);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_RUN_PRISTINE_PRELOAD_H_
