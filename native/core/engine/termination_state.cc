#include "core/engine/termination_state.h"

#include <utility>

namespace ci {

TerminationState::TerminationState(v8::Isolate* isolate, std::function<void()> on_terminate)
    : isolate_(isolate), on_terminate_(std::move(on_terminate)) {}

uint64_t TerminationState::Begin(Clock::time_point deadline) {
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    guarded_.running = true;
    reason_.store(Termination::kNone, std::memory_order_release);
    id = ++guarded_.execution_id;
    deadline_.Store(deadline, id);
    if (guarded_.kill_requested) {
      TerminateLocked(guarded_, Termination::kKilled);
    }
  }
  deadline_.Nudge();
  return id;
}

Termination TerminationState::End() {
  std::lock_guard<std::mutex> lock(mutex_);
  guarded_.running = false;
  if (guarded_.termination_pending) {
    isolate_->CancelTerminateExecution();
    guarded_.termination_pending = false;
  }
  return reason_.load(std::memory_order_acquire);
}

void TerminationState::TerminateLockedNow(Guarded& state) {
  state.termination_pending = true;
  isolate_->TerminateExecution();
}

void TerminationState::TerminateLocked(Guarded& state, Termination reason) {
  Termination none = Termination::kNone;
  reason_.compare_exchange_strong(none, reason, std::memory_order_acq_rel);
  TerminateLockedNow(state);
  if (on_terminate_) {
    on_terminate_();
  }
}

void TerminationState::RequestTermination(Termination reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (reason == Termination::kKilled) {
    guarded_.kill_requested = true;
  }
  if (guarded_.running) {
    TerminateLocked(guarded_, reason);
  }
}

void TerminationState::RequestTerminationOf(uint64_t execution_id, Termination reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (guarded_.running && execution_id == guarded_.execution_id) {
    TerminateLocked(guarded_, reason);
  }
}

void TerminationState::OnDeadline(uint64_t execution_id, bool /*repeat*/) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Every arming happens under this lock, so the slot now holds the arming in force: a call
  // that was on its way for an attempt's budget finds the execution's own deadline instead.
  if (!guarded_.running || execution_id != guarded_.execution_id || !deadline_.Due()) {
    return;
  }
  if (guarded_.attempting) {
    guarded_.attempt_stopped = true;
    TerminateLockedNow(guarded_);
    return;
  }
  TerminateLocked(guarded_, Termination::kTimeout);
}

void TerminationState::Arm(Clock::time_point deadline, uint64_t execution_id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    deadline_.Store(deadline, execution_id);
  }
  deadline_.Nudge();
}

void TerminationState::BeginAttempt(Clock::time_point budget_deadline, uint64_t execution_id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    guarded_.attempting = true;
    guarded_.attempt_stopped = false;
    deadline_.Store(budget_deadline, execution_id);
  }
  deadline_.Nudge();
}

bool TerminationState::EndAttempt(Clock::time_point deadline, uint64_t execution_id) {
  bool stopped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    guarded_.attempting = false;
    stopped = guarded_.attempt_stopped;
    guarded_.attempt_stopped = false;
    if (stopped && reason_.load(std::memory_order_acquire) == Termination::kNone) {
      isolate_->CancelTerminateExecution();
    }
    deadline_.Store(deadline, execution_id);
  }
  deadline_.Nudge();
  return stopped;
}

void TerminationState::DeclineAttempt() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (guarded_.attempting) {
    guarded_.attempt_stopped = true;
    TerminateLockedNow(guarded_);
  }
}

}  // namespace ci
