#include "core/run/recycling_rules.h"

#include <algorithm>

namespace ci {

bool MayAttempt(IsolateHolder& holder,
                Speculation speculation,
                float code_ms,
                bool lost,
                Clock::time_point deadline,
                Clock::duration* budget) {
  const double saving = holder.recycling().new_context_ms();
  if (speculation == Speculation::kRefused || lost || code_ms < 0 || saving <= 0 ||
      code_ms > kMaxCodeInNewContexts * saving) {
    return false;
  }
  *budget = FromMs(saving);
  return deadline - Clock::now() >= 4 * *budget;
}

void CountMiss(CachedScript* cached) {
  if (++cached->misses_in_a_row >= kMaxMissesInARow &&
      cached->speculation != Speculation::kRefused) {
    cached->speculation = Speculation::kRefused;
    cached->refused_for_misses = true;
    cached->runs_since_refused = 0;
  }
}

void CountRunSinceRefused(CachedScript* cached) {
  if (cached->speculation != Speculation::kRefused || !cached->refused_for_misses) {
    return;
  }
  const int doublings = std::min<int>(cached->refusals, kMaxRetryDoublings);
  if (++cached->runs_since_refused < (kRunsBeforeRetry << doublings)) {
    return;
  }
  cached->speculation = Speculation::kUntried;  // its next attempt instruments it anew
  cached->refused_for_misses = false;
  cached->misses_in_a_row = 0;
  cached->runs_since_refused = 0;
  if (cached->refusals < kMaxRetryDoublings) {
    ++cached->refusals;
  }
}

}  // namespace ci
