#ifndef CODE_INTERPRETER_CORE_RUN_RECYCLING_RULES_H_
#define CODE_INTERPRETER_CORE_RUN_RECYCLING_RULES_H_

#include <cstdint>

#include "core/engine/clock.h"
#include "core/isolate/isolate_holder.h"
#include "core/isolate/script_cache.h"

// When fresh-mode code is attempted on the recycled context (core/run/recycled_run.h), and what
// an attempt that did not pay counts for: the rules kept in a code's cache entry.

namespace ci {

// A kept attempt saves one new context, nothing more: the mode checks every call, allocation
// and store, and has no optimizing tier, so code that runs long takes several times longer
// there. An attempt is made only for code whose own run (its context's making left out) is at
// most what a new context costs, and its budget is that cost: a losing attempt never costs
// more than a winning one saves. It is only made when the execution's own time limit is four
// times its budget.
constexpr double kMaxCodeInNewContexts = 1;
// Code whose run is at most this share of the budget loses an attempt only to a preemption or
// a collection: it is tried again. Longer code that lost its whole budget is not.
constexpr double kShortShareOfBudget = 0.25;
// The budget is the attempting thread's CPU time (core/engine/termination_state.h): time a busy
// host takes the CPU away is not the attempt's cost. An attempt stopped with less than this
// share of it spent was stopped by something else (a decline, the execution's deadline).
constexpr double kPreemptedShareOfBudget = 0.5;
constexpr int kMaxMissesInARow = 3;
// A code refused for misses is tried again after this many runs in new contexts, then after
// twice as many each time, up to 32 times as many: misses come in streaks that can be the
// data's or the moment's doing (lodash's sum over 100 numbers, kept at some 45 us, was once
// refused for good after about 20,000 calls). A code that really writes pays one declined
// attempt, at most one new context's time, per 32 or more runs, then per 1,024.
constexpr uint16_t kRunsBeforeRetry = 32;
constexpr uint8_t kMaxRetryDoublings = 5;
// A kept attempt is judged against the code's last run in a new context, and a kept code has
// no more such runs: one slow run (a collection in it, a large input, a busy moment) would
// keep it on an attempt that costs more than a new context, for good. Every so many such
// attempts the code runs in a new context again, which measures it anew.
constexpr uint8_t kSlowKeepsBeforeRemeasuring = 16;

// An attempt stopped by its budget with a collection in it was likely the heap's doing, not
// the code's: it is no miss, up to this many such stops in a row.
constexpr uint8_t kMaxStopsWithCollection = 8;

// Whether code of which this is known may be attempted now, and the attempt's budget.
bool MayAttempt(IsolateHolder& holder,
                Speculation speculation,
                float code_ms,
                bool lost,
                Clock::time_point deadline,
                Clock::duration* budget);

// An attempt that did not pay: kMaxMissesInARow of them refuse the code.
void CountMiss(CachedScript* cached);

// After a run of a code refused for misses in a new context: whether to try it again.
void CountRunSinceRefused(CachedScript* cached);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_RUN_RECYCLING_RULES_H_
