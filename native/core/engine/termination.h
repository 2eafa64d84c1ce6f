#ifndef CODE_INTERPRETER_CORE_ENGINE_TERMINATION_H_
#define CODE_INTERPRETER_CORE_ENGINE_TERMINATION_H_

#include <cstdint>

namespace ci {

/**
 * Why an execution was stopped from outside the script. The first reason set wins.
 * kInterrupted: a host function raised an interrupt (KeyboardInterrupt) that the caller gets.
 */
enum class Termination : uint8_t { kNone, kTimeout, kMemory, kKilled, kCancelled, kInterrupted };

/** Something the watchdog can stop when a deadline passes. */
class TerminationTarget {
 public:
  // Called on the watchdog thread, with `repeat` true for escalations after the first call.
  virtual void OnDeadline(uint64_t execution_id, bool repeat) = 0;

 protected:
  ~TerminationTarget() = default;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_TERMINATION_H_
