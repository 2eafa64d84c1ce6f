#include "core/engine/watchdog.h"

#include <sys/prctl.h>

#include <algorithm>
#include <thread>

namespace ci {
namespace {

int64_t ToNs(WatchdogSlot::Clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

int64_t NowNs() {
  return ToNs(WatchdogSlot::Clock::now());
}

// Escalation: re-request termination after 5 ms, then at doubling intervals up to 200 ms.
int64_t EscalationDelayNs(int fired) {
  int64_t delay = 5'000'000LL << std::min(fired, 6);
  return std::min<int64_t>(delay, 200'000'000LL);
}

}  // namespace

WatchdogSlot::WatchdogSlot(TerminationTarget* target, Clock::duration period)
    : target_(target), period_(period) {
  Watchdog::Instance().Register(this);
}

WatchdogSlot::~WatchdogSlot() {
  Watchdog::Instance().Unregister(this);
}

void WatchdogSlot::Arm(Clock::time_point deadline, uint64_t execution_id) {
  Store(deadline, execution_id);
  Nudge();
}

void WatchdogSlot::Store(Clock::time_point deadline, uint64_t execution_id) {
  execution_id_.store(execution_id, std::memory_order_relaxed);
  fired_.store(0, std::memory_order_relaxed);
  due_ns_.store(ToNs(deadline), std::memory_order_seq_cst);
}

void WatchdogSlot::Nudge() {
  Watchdog::Instance().Nudge(due_ns_.load(std::memory_order_seq_cst), 0);
}

void WatchdogSlot::NudgeWithin(Clock::duration lateness) {
  // The floor bounds the ticks at 5,000 a second, whatever the budgets.
  const int64_t lateness_ns = std::max<int64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(lateness).count(), 200'000);
  const int64_t due_ns = due_ns_.load(std::memory_order_seq_cst);
  Watchdog::Instance().Nudge(due_ns > kNever - lateness_ns ? kNever : due_ns + lateness_ns,
                             lateness_ns);
}

bool WatchdogSlot::Due() const {
  return due_ns_.load(std::memory_order_acquire) <= NowNs();
}

void WatchdogSlot::Disarm() {
  due_ns_.store(kNever, std::memory_order_release);
}

Watchdog& Watchdog::Instance() {
  // Leaked on purpose: the thread must outlive every isolate, including at process exit.
  static Watchdog* instance = new Watchdog();
  return *instance;
}

Watchdog::Watchdog() {
  std::thread([this] { Loop(); }).detach();
}

void Watchdog::Register(WatchdogSlot* slot) {
  std::lock_guard<std::mutex> lock(mutex_);
  slots_.push_back(slot);
}

void Watchdog::Unregister(WatchdogSlot* slot) {
  // Taking the mutex waits for a call into the slot's target to finish.
  std::lock_guard<std::mutex> lock(mutex_);
  slots_.erase(std::remove(slots_.begin(), slots_.end(), slot), slots_.end());
}

void Watchdog::Nudge(int64_t wake_by_ns, int64_t tick_ns) {
  if (tick_ns > 0) {
    int64_t tick = tick_ns_.load(std::memory_order_relaxed);
    while (tick_ns < tick && !tick_ns_.compare_exchange_weak(tick, tick_ns)) {
    }
  }
  // Pairs with the re-check in Loop(): either the thread sees this deadline before it sleeps,
  // or this sees the time it sleeps until and wakes it.
  if (wake_by_ns < sleeping_until_ns_.load(std::memory_order_seq_cst)) {
    // Once the mutex was free the thread is waiting or has yet to re-check; notified outside
    // it, the thread does not wake only to wait for it.
    { std::lock_guard<std::mutex> lock(mutex_); }
    wake_.notify_one();
  }
}

int64_t Watchdog::NextWake(int64_t now_ns, int64_t earliest_due_ns) {
  const int64_t tick = tick_ns_.exchange(WatchdogSlot::kNever, std::memory_order_acq_rel);
  return tick == WatchdogSlot::kNever ? earliest_due_ns : std::min(earliest_due_ns, now_ns + tick);
}

int64_t Watchdog::FireDue(int64_t now_ns) {
  int64_t earliest = WatchdogSlot::kNever;
  for (WatchdogSlot* slot : slots_) {
    int64_t due = slot->due_ns_.load(std::memory_order_acquire);
    if (due <= now_ns) {
      int fired = slot->fired_.fetch_add(1, std::memory_order_relaxed);
      slot->target_->OnDeadline(slot->execution_id_.load(std::memory_order_relaxed), fired > 0);
      int64_t period = std::chrono::duration_cast<std::chrono::nanoseconds>(slot->period_).count();
      int64_t next = now_ns + (period > 0 ? period : EscalationDelayNs(fired));
      // Unless the slot was disarmed or re-armed meanwhile.
      if (slot->due_ns_.compare_exchange_strong(due, next, std::memory_order_acq_rel)) {
        due = next;
      } else {
        due = slot->due_ns_.load(std::memory_order_acquire);
      }
    }
    earliest = std::min(earliest, due);
  }
  return earliest;
}

void Watchdog::Loop() {
  // Timed waits of this thread wake on time, not up to 50 us late: overshoot is what it is for.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    const int64_t now = NowNs();
    int64_t earliest = NextWake(now, FireDue(now));
    sleeping_until_ns_.store(earliest, std::memory_order_seq_cst);
    // Re-check after publishing: a slot armed meanwhile either shows here or sees the new
    // sleeping time and nudges (it needs the mutex, which the wait releases).
    for (WatchdogSlot* slot : slots_) {
      earliest = std::min(earliest, slot->due_ns_.load(std::memory_order_seq_cst));
    }
    sleeping_until_ns_.store(earliest, std::memory_order_seq_cst);
    if (earliest == WatchdogSlot::kNever) {
      wake_.wait(lock);
    } else if (earliest > NowNs()) {
      wake_.wait_until(lock, Clock::time_point(std::chrono::nanoseconds(earliest)));
    }
  }
}

}  // namespace ci
