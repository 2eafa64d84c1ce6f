#include "core/watchdog.h"

#include <algorithm>
#include <thread>

namespace ci {
namespace {

// Escalation: re-request termination after 5 ms, then at doubling intervals up to 200 ms.
Watchdog::Clock::duration EscalationDelay(int fired) {
  auto delay = std::chrono::milliseconds(5) * (1 << std::min(fired, 6));
  return std::min<Watchdog::Clock::duration>(delay, std::chrono::milliseconds(200));
}

}  // namespace

Watchdog& Watchdog::Instance() {
  // Leaked on purpose: the thread must outlive every isolate, including at process exit.
  static Watchdog* instance = new Watchdog();
  return *instance;
}

Watchdog::Watchdog() {
  std::thread([this] { Loop(); }).detach();
}

Watchdog::Ticket Watchdog::Arm(Clock::time_point deadline,
                               TerminationTarget* target,
                               uint64_t execution_id,
                               Clock::duration period) {
  std::lock_guard<std::mutex> lock(mutex_);
  Ticket ticket = next_ticket_++;
  entries_.emplace(ticket, Entry{deadline, target, execution_id, period, 0});
  queue_.emplace(deadline, ticket);
  if (deadline < sleeping_until_) {
    sleeping_until_ = deadline;
    wake_.notify_one();
  }
  return ticket;
}

void Watchdog::Disarm(Ticket ticket) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(ticket);
  if (it == entries_.end()) {
    return;
  }
  queue_.erase({it->second.due, ticket});
  entries_.erase(it);
}

void Watchdog::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (queue_.empty()) {
      sleeping_until_ = Clock::time_point::max();
      wake_.wait(lock);
      continue;
    }
    auto [due, ticket] = *queue_.begin();
    auto now = Clock::now();
    if (due > now) {
      sleeping_until_ = due;
      wake_.wait_until(lock, due);
      continue;
    }
    queue_.erase(queue_.begin());
    Entry& entry = entries_.at(ticket);
    // Called with the lock held, which is what makes Disarm() a barrier for the target.
    entry.target->OnDeadline(entry.execution_id, entry.fired > 0);
    entry.due = now + (entry.period > Clock::duration::zero() ? entry.period
                                                              : EscalationDelay(entry.fired));
    entry.fired++;
    queue_.emplace(entry.due, ticket);
  }
}

}  // namespace ci
