#ifndef CODE_INTERPRETER_CORE_ENGINE_CLOCK_H_
#define CODE_INTERPRETER_CORE_ENGINE_CLOCK_H_

#include <time.h>

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

// The calling thread's CPU time so far, in milliseconds: a measurement of the thread's own work
// that a busy machine's preemptions do not lengthen. A system call each: not for hot paths.
inline double ThreadCpuMs() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_CLOCK_H_
