#ifndef CODE_INTERPRETER_CORE_ENGINE_TERMINATION_STATE_H_
#define CODE_INTERPRETER_CORE_ENGINE_TERMINATION_STATE_H_

#include <v8.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>

#include <time.h>

#include "core/engine/termination.h"
#include "core/engine/watchdog.h"

namespace ci {

/**
 * What a part that runs inside an execution (a host call, `require`, a lazy global) may do to
 * it: learn that it is being stopped, stop it, or decline a recycled attempt. Parts get this,
 * not the isolate's owner.
 */
class ExecutionControl {
 public:
  // True once the running execution is being stopped.
  virtual bool stopping() const = 0;
  // Any thread. Acts only while an execution is running (kKilled also sticks for later ones).
  virtual void RequestTermination(Termination reason) = 0;
  // Any thread. Acts only while execution `execution_id` is running.
  virtual void RequestTerminationOf(uint64_t execution_id, Termination reason) = 0;
  // The isolate's thread, during a recycled attempt: stops the attempt so it is declined.
  virtual void DeclineAttempt() = 0;

 protected:
  ~ExecutionControl() = default;
};

/**
 * The termination state machine of one isolate: which execution runs, its deadline (a
 * watchdog slot), why it is being stopped, and the recycled attempt inside it.
 *
 * The reason is recorded under one lock before TerminateExecution is called, and only while an
 * execution is running; End() closes that window and cancels any termination still pending,
 * so a late request never hits the next execution. Every arming of the deadline happens under
 * that lock too, so the watchdog judges a due deadline against the arming in force when it
 * acts. Begin, End, Arm, BeginAttempt and EndAttempt: the isolate's thread with the isolate
 * locked; the requests: any thread.
 */
class TerminationState final : public TerminationTarget, public ExecutionControl {
 public:
  using Clock = WatchdogSlot::Clock;

  // `on_terminate` runs (under the lock, so briefly and never blocking) whenever a reason is
  // recorded: what V8 cannot stop (the host's own code) is asked to stop there.
  TerminationState(v8::Isolate* isolate, std::function<void()> on_terminate);
  TerminationState(const TerminationState&) = delete;
  TerminationState& operator=(const TerminationState&) = delete;

  // Starts an execution under `deadline`; returns its id.
  uint64_t Begin(Clock::time_point deadline);
  // With no JS on the stack: ends it and returns why it was stopped.
  Termination End();
  // Re-arms the running execution's deadline.
  void Arm(Clock::time_point deadline, uint64_t execution_id);
  void Disarm() { deadline_.Disarm(); }
  // A recycled attempt runs under a budget of its own, in CPU time of the calling thread (time a
  // busy host takes the CPU away is not the attempt's cost), and never past the execution's
  // `deadline`: when the budget is spent, or when DeclineAttempt() is called, only the attempt
  // is stopped.
  void BeginAttempt(Clock::duration budget, Clock::time_point deadline, uint64_t execution_id);
  // Re-arms the execution's own deadline. True when the attempt was stopped (budget or
  // declined); that termination is cancelled unless a real reason arrived as well.
  bool EndAttempt(Clock::time_point deadline, uint64_t execution_id);
  // The CPU time the last attempt has taken, its collections left out, in ms; read on its own
  // thread once it stopped.
  double AttemptCpuMs();
  // Collections that began during the last attempt; read on its own thread once it stopped.
  // A collection that falls in an attempt is the heap's doing, not the code's: its time is not
  // charged to the budget, and the budget never runs out in one.
  int AttemptCollections();

  bool stopping() const override {
    return reason_.load(std::memory_order_acquire) != Termination::kNone;
  }
  void RequestTermination(Termination reason) override;
  void RequestTerminationOf(uint64_t execution_id, Termination reason) override;
  void DeclineAttempt() override;
  void OnDeadline(uint64_t execution_id, bool repeat) override;

 private:
  // The isolate's thread, from V8's collection callbacks (watched for the isolate's life).
  static void OnCollectionBegins(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* self);
  static void OnCollectionEnds(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* self);
  /** Everything under the lock. */
  struct Guarded {
    bool running = false;
    // The attempt's budget and the execution's deadline it stays within; the attempting
    // thread's CPU clock and its reading when the attempt began.
    Clock::duration attempt_budget{};
    Clock::time_point attempt_deadline;
    clockid_t attempt_clock = 0;
    Clock::duration attempt_cpu_started{};
    // Collections inside the attempt: how deep, and the CPU time the outermost began at.
    int collection_depth = 0;
    int collections = 0;  // that began during the attempt
    Clock::duration collection_cpu_started{};
    bool kill_requested = false;  // sticky: a killed sandbox's isolate runs nothing more
    uint64_t execution_id = 0;
    bool attempting = false;
    bool attempt_stopped = false;
    // TerminateExecution was called during this execution, so its end must cancel it (V8's
    // cancelling takes a lock of its own: not paid on every run).
    bool termination_pending = false;
  };

  // With the lock held. At a due deadline: false once the running attempt or execution was
  // stopped; true with `extended` when an attempt is owed CPU time it did not get.
  bool OnAttemptDeadline(Guarded& state, Clock::time_point* extended);
  void Stop(Guarded& state);
  void TerminateLocked(Guarded& state, Termination reason);
  void TerminateLockedNow(Guarded& state);

  v8::Isolate* const isolate_;
  const std::function<void()> on_terminate_;
  std::mutex mutex_;
  Guarded guarded_;  // under mutex_
  std::atomic<Termination> reason_{Termination::kNone};
  // Last: destroyed first, which waits out any watchdog call into this state.
  WatchdogSlot deadline_{this};
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_TERMINATION_STATE_H_
