#ifndef CODE_INTERPRETER_CORE_ENGINE_WATCHDOG_H_
#define CODE_INTERPRETER_CORE_ENGINE_WATCHDOG_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "core/engine/clock.h"
#include "core/engine/termination.h"

namespace ci {

/**
 * One deadline of one target (an isolate's execution deadline, or its CPU-throttle tick). The
 * target owns the slot; the slot is registered with the watchdog for its whole life, so arming
 * and disarming are two atomic stores on the hot path: no lock, no allocation, and no wake-up
 * of the watchdog unless the new deadline is earlier than the one it sleeps until.
 *
 * When the deadline passes, the watchdog calls the target's OnDeadline, then again at growing
 * intervals (or every `period`, for a periodic slot) until the slot is disarmed or re-armed.
 * Destroying the slot waits for any call into the target in progress.
 */
class WatchdogSlot {
 public:
  using Clock = ci::Clock;

  explicit WatchdogSlot(TerminationTarget* target,
                        Clock::duration period = Clock::duration::zero());
  ~WatchdogSlot();
  WatchdogSlot(const WatchdogSlot&) = delete;
  WatchdogSlot& operator=(const WatchdogSlot&) = delete;

  void Arm(Clock::time_point deadline, uint64_t execution_id);
  // Arm() in two steps, for a target that arms under a lock its OnDeadline also takes: Store()
  // under that lock, then Nudge() once it is released (the watchdog calls OnDeadline holding
  // its own lock, which Nudge() may take).
  void Store(Clock::time_point deadline, uint64_t execution_id);
  void Nudge();
  // Nudge() for a deadline that may be met up to `lateness` late (a recycled attempt's budget,
  // armed on every fresh-mode call): while such deadlines keep coming, the watchdog wakes every
  // `lateness` on its own, and arming one wakes nobody.
  void NudgeWithin(Clock::duration lateness);
  void Disarm();
  // Whether the deadline armed now has passed. A target re-checks this before acting: the
  // watchdog may call it for an arming that was replaced while the call was on its way.
  bool Due() const;

 private:
  friend class Watchdog;
  static constexpr int64_t kNever = INT64_MAX;

  TerminationTarget* const target_;
  const Clock::duration period_;
  std::atomic<int64_t> due_ns_{kNever};
  std::atomic<uint64_t> execution_id_{0};
  std::atomic<int> fired_{0};
};

/** The process-wide thread that watches every slot. */
class Watchdog {
 public:
  using Clock = WatchdogSlot::Clock;

  static Watchdog& Instance();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  friend class WatchdogSlot;

  Watchdog();
  void Register(WatchdogSlot* slot);
  void Unregister(WatchdogSlot* slot);
  // Called after a slot's deadline was stored: wakes the thread if it sleeps past `wake_by_ns`;
  // with a `tick_ns`, the thread also wakes at most that long after its next wake-up.
  void Nudge(int64_t wake_by_ns, int64_t tick_ns);
  // When the thread sleeps until after a wake-up at `now_ns`.
  int64_t NextWake(int64_t now_ns, int64_t earliest_due_ns);
  void Loop();
  // Fires due slots and returns the earliest deadline left. Call with `mutex_` held.
  int64_t FireDue(int64_t now_ns);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<WatchdogSlot*> slots_;
  std::atomic<int64_t> sleeping_until_ns_{WatchdogSlot::kNever};
  // The shortest tick asked for since the last wake-up (kNever: none).
  std::atomic<int64_t> tick_ns_{WatchdogSlot::kNever};
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_WATCHDOG_H_
