#include "core/engine/termination_state.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

namespace ci {
namespace {

// The reading of a thread's CPU clock, as a duration.
Clock::duration CpuNow(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(now.tv_sec) +
                                                     std::chrono::nanoseconds(now.tv_nsec));
}

// The calling thread's CPU clock, named from its kernel thread id. Not
// pthread_getcpuclockid(pthread_self()): in a worker that the zygote made with a raw clone
// (worker/zygote.cc), the C library's record of the main thread still holds the zygote's thread
// id, whose clock this process cannot read (every reading failed, and a budget never ran out).
// Kept per thread after its first attempt: a zygote, which forks, never makes one (it forks before
// V8 starts).
clockid_t CurrentThreadCpuClock() {
  thread_local const clockid_t clock = [] {
    const auto tid = static_cast<unsigned>(syscall(SYS_gettid));
    // Linux's encoding of a thread's scheduler-time clock (CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED).
    return static_cast<clockid_t>((~tid << 3) | 6U);
  }();
  return clock;
}

}  // namespace

TerminationState::TerminationState(v8::Isolate* isolate, std::function<void()> on_terminate)
    : isolate_(isolate), on_terminate_(std::move(on_terminate)) {
  // Never removed: this state outlives the isolate's last collection.
  isolate_->AddGCPrologueCallback(OnCollectionBegins, this);
  isolate_->AddGCEpilogueCallback(OnCollectionEnds, this);
}

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
  Clock::time_point extended;
  if (OnAttemptDeadline(guarded_, &extended)) {
    // No nudge: this runs on the watchdog's thread, which reads the new time when this returns.
    deadline_.Store(extended, execution_id);
  }
}

bool TerminationState::OnAttemptDeadline(Guarded& state, Clock::time_point* extended) {
  if (state.attempting) {
    const Clock::time_point now = Clock::now();
    if (state.collection_depth > 0 && now < state.attempt_deadline) {
      // Judged again once the collection is over.
      *extended = std::min(now + state.attempt_budget, state.attempt_deadline);
      return true;
    }
    // The budget is CPU time: what the thread did not get of it is given again, within the
    // execution's deadline.
    const Clock::duration left =
        state.attempt_budget - (CpuNow(state.attempt_clock) - state.attempt_cpu_started);
    if (left > Clock::duration::zero() && now < state.attempt_deadline) {
      *extended = std::min(now + left, state.attempt_deadline);
      return true;
    }
  }
  Stop(state);
  return false;
}

void TerminationState::Stop(Guarded& guarded) {
  if (guarded.attempting) {
    guarded.attempt_stopped = true;
    TerminateLockedNow(guarded);
    return;
  }
  TerminateLocked(guarded, Termination::kTimeout);
}

void TerminationState::Arm(Clock::time_point deadline, uint64_t execution_id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    deadline_.Store(deadline, execution_id);
  }
  deadline_.Nudge();
}

void TerminationState::BeginAttempt(Clock::duration budget,
                                    Clock::time_point deadline,
                                    uint64_t execution_id) {
  const clockid_t clock = CurrentThreadCpuClock();
  const Clock::duration cpu_started = CpuNow(clock);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    guarded_.attempting = true;
    guarded_.attempt_stopped = false;
    guarded_.attempt_budget = budget;
    guarded_.attempt_deadline = deadline;
    guarded_.attempt_clock = clock;
    guarded_.attempt_cpu_started = cpu_started;
    guarded_.collection_depth = 0;
    guarded_.collections = 0;
    deadline_.Store(std::min(Clock::now() + budget, deadline), execution_id);
  }
  // Stopped up to one budget (at least 0.2 ms) late, a losing attempt costs little more; in return
  // an attempt, made on every fresh-mode call, does not wake the watchdog while they keep coming.
  deadline_.NudgeWithin(budget);
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

double TerminationState::AttemptCpuMs() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::chrono::duration<double, std::milli>(CpuNow(guarded_.attempt_clock) -
                                                   guarded_.attempt_cpu_started)
      .count();
}

int TerminationState::AttemptCollections() {
  std::lock_guard<std::mutex> lock(mutex_);
  return guarded_.collections;
}

void TerminationState::OnCollectionBegins(v8::Isolate*,
                                          v8::GCType,
                                          v8::GCCallbackFlags,
                                          void* self) {
  auto* state = static_cast<TerminationState*>(self);
  std::lock_guard<std::mutex> lock(state->mutex_);
  Guarded& guarded = state->guarded_;
  if (!guarded.attempting || guarded.collection_depth++ > 0) {
    return;
  }
  guarded.collections++;
  guarded.collection_cpu_started = CpuNow(guarded.attempt_clock);
}

void TerminationState::OnCollectionEnds(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* self) {
  auto* state = static_cast<TerminationState*>(self);
  std::lock_guard<std::mutex> lock(state->mutex_);
  Guarded& guarded = state->guarded_;
  if (!guarded.attempting || guarded.collection_depth == 0 || --guarded.collection_depth > 0) {
    return;
  }
  // The budget's start moves on by the collection's CPU time: what is left of it stays.
  guarded.attempt_cpu_started += CpuNow(guarded.attempt_clock) - guarded.collection_cpu_started;
}

void TerminationState::DeclineAttempt() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (guarded_.attempting) {
    guarded_.attempt_stopped = true;
    TerminateLockedNow(guarded_);
  }
}

}  // namespace ci
