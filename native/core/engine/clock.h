#ifndef CODE_INTERPRETER_CORE_ENGINE_CLOCK_H_
#define CODE_INTERPRETER_CORE_ENGINE_CLOCK_H_

#include <chrono>

namespace ci {

/** The one clock of deadlines, budgets and durations: monotonic, so a wall-clock change moves
 * none of them. */
using Clock = std::chrono::steady_clock;

// Milliseconds from `start` to now.
inline double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// A duration in milliseconds.
inline double ToMs(Clock::duration duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

// `ms` milliseconds as the clock's duration.
inline Clock::duration FromMs(double ms) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(ms));
}

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_CLOCK_H_
