#ifndef CODE_INTERPRETER_CORE_RUN_RUNNER_H_
#define CODE_INTERPRETER_CORE_RUN_RUNNER_H_

#include "core/isolate/isolate_holder.h"
#include "core/run/outcome.h"

namespace ci {

/**
 * Runs one execution on an isolate the caller has exclusive use of, under one deadline: in
 * fresh-context mode, a try on the recycled pristine context (core/run/recycled_run.h); when that
 * is not tried or declined, the compiled path in a new or the persistent context
 * (core/run/compiled_run.h); then console, heap figures and the termination reason, if any.
 * Always writes exactly one outcome into `outcome` (a new one: filled in place, so the
 * outcome's many members are never moved on the way out); never throws.
 */
void RunExecution(IsolateHolder& holder, const ExecutionRequest& request, Outcome* outcome);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_RUN_RUNNER_H_
