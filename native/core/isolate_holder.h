#ifndef CODE_INTERPRETER_CORE_ISOLATE_HOLDER_H_
#define CODE_INTERPRETER_CORE_ISOLATE_HOLDER_H_

#include <v8.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "core/cancel_token.h"
#include "core/capped_allocator.h"
#include "core/code_ledger.h"
#include "core/console.h"
#include "core/context_factory.h"
#include "core/cpu_throttle.h"
#include "core/host_completions.h"
#include "core/module_loader.h"
#include "core/recycling_meter.h"
#include "core/script_cache.h"
#include "core/security_profile.h"
#include "core/termination.h"
#include "core/thread_parking.h"
#include "core/timers.h"
#include "core/watchdog.h"

namespace ci {

struct IsolateConfig {
  size_t memory_limit_bytes = 128 << 20;
  bool persistent_context = false;
  bool cache_scripts = true;
  double cpu_quota = 1.0;
  size_t console_max_entries = 1000;
  size_t console_max_bytes = 1 << 20;
  SecurityProfile profile;
  // What the pool's isolates learned of each code (fresh-context mode); set by the pool.
  std::shared_ptr<CodeLedger> ledger;
};

/** Heap figures read after an execution. */
struct HeapUsage {
  uint64_t heap_used = 0;
  uint64_t heap_total = 0;
  uint64_t external = 0;  // ArrayBuffer memory
};

/**
 * The one owner of a v8::Isolate: its heap limit, capped ArrayBuffer allocator and
 * near-heap-limit callback (registered here, removed in the destructor), its contexts, script
 * cache, timers and CPU throttle, and the termination state of the execution running on it.
 *
 * Termination: the reason is recorded under `termination_mutex_` before TerminateExecution is
 * called, and only while an execution is running; EndExecution() closes that window and cancels
 * any termination still pending, so a late request can never hit the next execution.
 */
class IsolateHolder final : public TerminationTarget {
 public:
  explicit IsolateHolder(const IsolateConfig& config);
  ~IsolateHolder();
  IsolateHolder(const IsolateHolder&) = delete;
  IsolateHolder& operator=(const IsolateHolder&) = delete;

  v8::Isolate* isolate() const { return isolate_; }
  const IsolateConfig& config() const { return config_; }
  ConsoleBuffer& console() { return console_; }
  ScriptCache& scripts() { return scripts_; }
  ContextFactory& contexts() { return *contexts_; }
  // Null when the sandbox allows no modules.
  ModuleLoader* modules() { return modules_.get(); }
  // Null when the sandbox exposes no host functions.
  const std::shared_ptr<HostCompletions>& host_completions() { return host_completions_; }
  TimerQueue& timers() { return timers_; }
  WatchdogSlot& deadline() { return deadline_; }
  ThreadParking& parking() { return *parking_; }

  // Call with the isolate locked. Arms the execution's deadline (see ArmDeadline) and returns
  // the execution's id.
  uint64_t BeginExecution(CancelToken* token, WatchdogSlot::Clock::time_point deadline);
  // Call with the isolate locked and no JS on the stack. Returns why the run was stopped.
  Termination EndExecution();
  // Any thread. Acts only while an execution is running (kKilled also sticks for later ones).
  void RequestTermination(Termination reason);
  // Any thread. Acts only while execution `execution_id` is running.
  void RequestTerminationOf(uint64_t execution_id, Termination reason);
  void OnDeadline(uint64_t execution_id, bool repeat) override;
  // Arms the execution's deadline, under the termination lock: the watchdog judges a due
  // deadline against the arming in force when it acts, never against one since replaced.
  void ArmDeadline(WatchdogSlot::Clock::time_point deadline, uint64_t execution_id);
  // A recycled attempt (core/recycled_run.h) runs under its own, shorter deadline: when that
  // passes, or when DeclineAttempt() is called, only the attempt is stopped. Call both with the
  // isolate locked, during an execution.
  void BeginAttempt(WatchdogSlot::Clock::time_point budget_deadline, uint64_t execution_id);
  // Re-arms the execution's own deadline. True when the attempt was stopped (budget or
  // declined); that termination is cancelled unless a real reason (timeout, kill, memory)
  // arrived as well.
  bool EndAttempt(WatchdogSlot::Clock::time_point deadline, uint64_t execution_id);
  // The isolate thread, during an attempt: stops the attempt so it is declined.
  void DeclineAttempt();
  RecyclingMeter& recycling() { return recycling_; }
  const RecyclingMeter& recycling() const { return recycling_; }
  // Marks the isolate for replacement once this execution ends.
  void Retire() { worn_.store(true, std::memory_order_release); }
  bool worn() const { return worn_.load(std::memory_order_acquire); }
  void CountRecycledRun() { recycled_runs_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t recycled_runs() const { return recycled_runs_.load(std::memory_order_relaxed); }
  // V8's protectors (the guards of its fast paths) are shared by every context of the isolate.
  // While watched, a script that invalidates one is noted, so that the isolate can be replaced
  // before another execution computes on it. Call with the isolate locked.
  void WatchProtectors(bool on) { watching_protectors_ = on; }
  bool protectors_changed() const { return protectors_changed_; }
  // True once the running execution is being stopped.
  bool stopping() const { return reason_.load(std::memory_order_acquire) != Termination::kNone; }

  // Makes the spare context of the next execution that needs a new one (ContextFactory), off
  // any caller's path. Call from a thread that has this isolate to itself, outside executions.
  void PrepareSpareContext();
  // Read by the pool while the isolate is idle (its lock orders this after the last writes).
  bool has_spare_context() const { return contexts_->has_spare(); }
  // Call with the isolate locked: takes a new context for an execution (the spare, if any).
  ContextLease NewExecutionContext();
  // Contexts executions needed and did not find prepared.
  uint64_t contexts_made_on_call() const {
    return contexts_made_on_call_.load(std::memory_order_relaxed);
  }

  // True once the memory limit was hit: the isolate must be disposed and replaced.
  bool broken() const { return broken_.load(std::memory_order_acquire); }
  // Call with the isolate locked.
  HeapUsage ReadHeapUsage();
  // Call with the isolate locked, between executions: whether what is alive exceeds the
  // limit (a full collection settles it when the plain reading says so). Marks it broken.
  bool OverMemoryLimit();
  // Scripts compiled on this isolate (cache misses, or every run without the cache).
  void CountCompilation() { compilations_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t compilations() const { return compilations_.load(std::memory_order_relaxed); }

 private:
  static size_t NearHeapLimit(void* data, size_t current_heap_limit, size_t initial_heap_limit);
  static void AfterFullCollection(v8::Isolate* isolate,
                                  v8::GCType type,
                                  v8::GCCallbackFlags flags,
                                  void* data);
  static void CountUse(v8::Isolate* isolate, v8::Isolate::UseCounterFeature feature);
  static bool AllowWasmCodeGeneration(v8::Local<v8::Context> context, v8::Local<v8::String>);
  void OnMemoryLimit();
  void TerminateLocked(Termination reason);
  // With termination_mutex_ held: V8's TerminateExecution, noted for EndExecution.
  void TerminateLockedNow();

  const IsolateConfig config_;
  std::unique_ptr<CappedArrayBufferAllocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
  std::unique_ptr<ThreadParking> parking_;
  ConsoleBuffer console_;
  ScriptCache scripts_;
  TimerQueue timers_;
  std::unique_ptr<ModuleLoader> modules_;
  std::shared_ptr<HostCompletions> host_completions_;
  std::unique_ptr<ContextFactory> contexts_;
  CpuThrottle throttle_;

  std::mutex termination_mutex_;
  bool running_ = false;
  bool kill_requested_ = false;  // sticky: a killed sandbox's isolate runs nothing more
  uint64_t execution_id_ = 0;
  CancelToken* token_ = nullptr;
  std::atomic<Termination> reason_{Termination::kNone};
  std::atomic<bool> broken_{false};
  std::atomic<uint64_t> compilations_{0};
  bool attempting_ = false;       // under termination_mutex_
  bool attempt_stopped_ = false;  // under termination_mutex_
  // Under termination_mutex_: TerminateExecution was called during this execution, so its end
  // must cancel it (V8's cancelling takes a lock of its own: not paid on every run).
  bool termination_pending_ = false;
  RecyclingMeter recycling_;
  bool watching_protectors_ = false;
  bool protectors_changed_ = false;
  std::atomic<bool> worn_{false};
  std::atomic<uint64_t> recycled_runs_{0};
  std::atomic<uint64_t> contexts_made_on_call_{0};
  // Last: destroyed first, which waits out any watchdog call into this holder.
  WatchdogSlot deadline_{this};
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ISOLATE_HOLDER_H_
