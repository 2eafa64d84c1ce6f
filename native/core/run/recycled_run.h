#ifndef CODE_INTERPRETER_CORE_RUN_RECYCLED_RUN_H_
#define CODE_INTERPRETER_CORE_RUN_RECYCLED_RUN_H_

#include <chrono>
#include <cstdint>
#include <string_view>

#include "core/engine/clock.h"
#include "core/isolate/isolate_holder.h"
#include "core/isolate/script_cache.h"
#include "core/run/outcome.h"

namespace ci {

/** How a try on the recycled context went. */
enum class Recycling {
  kNotTried,  // the code does not qualify now: run it in a new context
  kKept,      // done, and V8 certified the context untouched: it serves the next run too
  kSpent,     // done, but script may have run unchecked afterwards: the context is dropped
  kDeclined,  // not done (side effect, exception, budget): run it again in a new context
};

/**
 * Fresh-context mode without a new context. Code seen before runs first on a kept pristine
 * context in V8's side-effect-free mode (core/engine/side_effect_free.h), which stops it at the
 * first write to anything that existed before it began. The attempt runs the very script or
 * function the compiled path runs (the cache entry's, bound to the pristine context), so a
 * kept run is indistinguishable from one in a new context: same value, errors, stacks and
 * columns. Anything else is declined, with the outcome untouched and the time the attempt took
 * reported, and the caller runs the code in a new context with that time given back.
 *
 * The flow of one try: qualify the code (cached, not refused, a budget that fits the time
 * left) -> lease the pristine context that holds the modules the code required in its last
 * compiled run (loading them, in that order, when the context is new) -> add the per-call context
 * as lazy globals -> run under the attempt's budget -> convert the result with script forbidden ->
 * remove the globals -> kept, spent or declined -> count a miss where the attempt did not pay
 * (three in a row and the code is refused, until some runs in new contexts later; a budget stop
 * with a collection in it is none; an attempt that required other modules, or in another order,
 * is declined: a new context would have loaded them at other times) -> now and then measure
 * what an attempt costs and retire an isolate that recycling wore out.
 */
class RecycledRun {
 public:
  using Clock = ci::Clock;

  /** How a try went; for a declined one, the time it took, which the execution is owed. */
  struct Tried {
    Recycling recycling = Recycling::kNotTried;
    Clock::duration declined_after{};
  };

  // Call with the isolate locked, in fresh-context mode, during execution `execution_id`,
  // which must end by `deadline`.
  static Tried Try(IsolateHolder& holder,
                   const ExecutionRequest& request,
                   uint64_t execution_id,
                   Clock::time_point deadline,
                   Outcome* outcome);

  // After a run of `code` (its entry `cached`) in a new context: `run_ms` with the context's
  // making, `setup_ms` of it the making and the compiling (0 for a prepared context and cached
  // code). What later attempts are judged by, here and (core/isolate/code_ledger.h) on the pool's
  // other isolates.
  static void NoteCompiledRun(IsolateHolder& holder,
                              std::string_view code,
                              CachedScript* cached,
                              double run_ms,
                              double setup_ms,
                              const Outcome& outcome);
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_RUN_RECYCLED_RUN_H_
