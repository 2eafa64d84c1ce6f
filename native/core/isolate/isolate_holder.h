#ifndef CODE_INTERPRETER_CORE_ISOLATE_ISOLATE_HOLDER_H_
#define CODE_INTERPRETER_CORE_ISOLATE_ISOLATE_HOLDER_H_

#include <v8.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "core/engine/cancel_token.h"
#include "core/engine/capped_allocator.h"
#include "core/engine/cpu_throttle.h"
#include "core/engine/termination.h"
#include "core/engine/termination_state.h"
#include "core/engine/thread_parking.h"
#include "core/engine/watchdog.h"
#include "core/host/host_bridge.h"
#include "core/host/host_completions.h"
#include "core/isolate/code_ledger.h"
#include "core/isolate/isolate_counters.h"
#include "core/isolate/recycling_meter.h"
#include "core/isolate/script_cache.h"
#include "core/modules/module_loader.h"
#include "core/realm/console.h"
#include "core/realm/context_factory.h"
#include "core/realm/security_profile.h"
#include "core/realm/timers.h"

namespace ci {

/** Why an isolate must go: the one word for it is "retire". */
enum class RetireReason : uint8_t {
  kNone,
  kMemoryLimit,  // the limit was hit: what its heap holds can no longer be trusted
  kWorn,         // recycling's debug records made attempts cost too much (recycling_meter.h)
  kProtectors,   // an execution invalidated one of V8's isolate-wide protectors
  kHeldMemory,   // a stopped run may keep a large share of the limit alive
};

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
 * cache, timers and CPU throttle, and the termination state of the execution running on it
 * (core/engine/termination_state.h), which it begins and ends with each execution.
 */
class IsolateHolder final {
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
  HostBridge* host_bridge() { return host_bridge_.get(); }
  TimerQueue& timers() { return timers_; }
  ThreadParking& parking() { return *parking_; }

  // Call with the isolate locked. Begins an execution under `deadline` (its termination state,
  // cancel token and CPU throttle) and returns its id.
  uint64_t BeginExecution(CancelToken* token, TerminationState::Clock::time_point deadline);
  // Call with the isolate locked and no JS on the stack. Returns why the run was stopped.
  Termination EndExecution();
  // Who stops the execution running here, and why (deadlines, attempts, requests).
  TerminationState& termination() { return *termination_; }
  RecyclingMeter& recycling() { return recycling_; }
  const RecyclingMeter& recycling() const { return recycling_; }
  // Marks the isolate to be disposed of (and another made when needed) once this execution
  // ends; the memory limit outranks every other reason. Any thread.
  void Retire(RetireReason reason);
  bool retiring() const { return retire_reason() != RetireReason::kNone; }
  RetireReason retire_reason() const { return retire_reason_.load(std::memory_order_acquire); }
  // V8's protectors (the guards of its fast paths) are shared by every context of the isolate.
  // While watched, a script that invalidates one is noted, so that the isolate can be retired
  // before another execution computes on it. Call with the isolate locked.
  void WatchProtectors(bool on) { watching_protectors_ = on; }
  bool protectors_changed() const { return protectors_changed_; }
  // True once the running execution is being stopped.
  bool stopping() const { return termination_->stopping(); }

  // Makes the spare context of the next execution that needs a new one (ContextFactory), off
  // any caller's path. Call from a thread that has this isolate to itself, outside executions.
  void PrepareSpareContext();
  // Read by the pool while the isolate is idle (its lock orders this after the last writes).
  bool has_spare_context() const { return contexts_->has_spare(); }
  // Call with the isolate locked: takes a new context for an execution (the spare, if any).
  ContextLease NewExecutionContext();

  // Call with the isolate locked.
  HeapUsage ReadHeapUsage();
  // Call with the isolate locked, between executions: whether what is alive exceeds the
  // limit (a full collection settles it when the plain reading says so). Retires it if so.
  bool OverMemoryLimit();
  // Compilations, recycled runs and contexts made on call, over the isolate's life.
  IsolateCounters& counters() { return counters_; }
  const IsolateCounters& counters() const { return counters_; }

 private:
  static size_t NearHeapLimit(void* data, size_t current_heap_limit, size_t initial_heap_limit);
  static void AfterFullCollection(v8::Isolate* isolate,
                                  v8::GCType type,
                                  v8::GCCallbackFlags flags,
                                  void* data);
  static void CountUse(v8::Isolate* isolate, v8::Isolate::UseCounterFeature feature);
  // Exceptions that no TryCatch holds (one a microtask throws) are the script's own: without a
  // listener V8 13 prints them to the process's stdout, which a worker may not even stat.
  static void IgnoreUncaught(v8::Local<v8::Message> message, v8::Local<v8::Value> error) {}
  static v8::MaybeLocal<v8::Promise> ImportDynamically(v8::Local<v8::Context> context,
                                                       v8::Local<v8::Data> host_defined_options,
                                                       v8::Local<v8::Value> resource_name,
                                                       v8::Local<v8::String> specifier,
                                                       v8::Local<v8::FixedArray> assertions);
  static bool AllowWasmCodeGeneration(v8::Local<v8::Context> context, v8::Local<v8::String>);
  void OnMemoryLimit();

  const IsolateConfig config_;
  std::unique_ptr<CappedArrayBufferAllocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
  std::unique_ptr<ThreadParking> parking_;
  ConsoleBuffer console_;
  ScriptCache scripts_;
  TimerQueue timers_;
  std::unique_ptr<ModuleLoader> modules_;
  std::shared_ptr<HostCompletions> host_completions_;
  std::unique_ptr<HostBridge> host_bridge_;
  std::unique_ptr<ContextFactory> contexts_;
  CpuThrottle throttle_;

  CancelToken* token_ = nullptr;
  std::atomic<RetireReason> retire_reason_{RetireReason::kNone};
  RecyclingMeter recycling_;
  bool watching_protectors_ = false;
  bool protectors_changed_ = false;
  IsolateCounters counters_;
  // Last: destroyed first, which waits out any watchdog call into it.
  std::unique_ptr<TerminationState> termination_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ISOLATE_ISOLATE_HOLDER_H_
