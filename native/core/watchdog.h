#ifndef CODE_INTERPRETER_CORE_WATCHDOG_H_
#define CODE_INTERPRETER_CORE_WATCHDOG_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

#include "core/termination.h"

namespace ci {

/**
 * One process-wide thread holding a queue of deadlines. When a deadline passes it calls the
 * target's OnDeadline, then again at growing intervals until the deadline is disarmed, so a
 * script that survives one termination request gets another.
 *
 * Arming and disarming take one mutex and never wake the thread unless the new deadline is
 * earlier than the one it sleeps until. Disarm() returns only when no call into the target is
 * in progress, so a disarmed target may be destroyed at once.
 */
class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;
  using Ticket = uint64_t;

  static Watchdog& Instance();

  // With a `period`, the target is called every period until disarmed (no escalation).
  Ticket Arm(Clock::time_point deadline,
             TerminationTarget* target,
             uint64_t execution_id,
             Clock::duration period = Clock::duration::zero());
  void Disarm(Ticket ticket);

  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  struct Entry {
    Clock::time_point due;
    TerminationTarget* target;
    uint64_t execution_id;
    Clock::duration period;
    int fired;
  };

  Watchdog();
  void Loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::set<std::pair<Clock::time_point, Ticket>> queue_;
  std::unordered_map<Ticket, Entry> entries_;
  Clock::time_point sleeping_until_ = Clock::time_point::max();
  Ticket next_ticket_ = 1;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_WATCHDOG_H_
