#ifndef CODE_INTERPRETER_CORE_RUNNER_H_
#define CODE_INTERPRETER_CORE_RUNNER_H_

#include "core/isolate_holder.h"
#include "core/outcome.h"

namespace ci {

/**
 * Runs one execution on an isolate the caller has exclusive use of: context, compile (through
 * the script cache), run, promise settlement and result conversion, all under one deadline. In
 * fresh-context mode, code seen before is first tried on a recycled pristine context under V8's
 * side-effect check (see runner.cc). Always returns exactly one outcome; never throws.
 */
Outcome RunExecution(IsolateHolder& holder, const ExecutionRequest& request);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_RUNNER_H_
