#ifndef CODE_INTERPRETER_CORE_ISOLATE_HOLDER_H_
#define CODE_INTERPRETER_CORE_ISOLATE_HOLDER_H_

#include <v8.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "core/capped_allocator.h"
#include "core/console.h"
#include "core/context_factory.h"
#include "core/script_cache.h"
#include "core/termination.h"

namespace ci {

struct IsolateConfig {
  size_t memory_limit_bytes = 128 << 20;
  bool persistent_context = false;
};

/**
 * The one owner of a v8::Isolate: its heap limit, capped ArrayBuffer allocator and
 * near-heap-limit callback (registered here, removed in the destructor), its contexts and script
 * cache, and the termination state of the execution running on it.
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

  // Call with the isolate locked. Returns the id the watchdog must be armed with.
  uint64_t BeginExecution();
  // Call with the isolate locked and no JS on the stack. Returns why the run was stopped.
  Termination EndExecution();
  // Any thread. Acts only while an execution is running.
  void RequestTermination(Termination reason);
  void OnDeadline(uint64_t execution_id, bool repeat) override;

  // True once the memory limit was hit: the isolate must be disposed and replaced.
  bool broken() const { return broken_.load(std::memory_order_acquire); }

 private:
  static size_t NearHeapLimit(void* data, size_t current_heap_limit, size_t initial_heap_limit);
  void OnMemoryLimit();

  const IsolateConfig config_;
  std::unique_ptr<CappedArrayBufferAllocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
  ConsoleBuffer console_;
  ScriptCache scripts_;
  std::unique_ptr<ContextFactory> contexts_;

  std::mutex termination_mutex_;
  bool running_ = false;
  bool kill_requested_ = false;  // sticky: a killed sandbox's isolate runs nothing more
  uint64_t execution_id_ = 0;
  Termination reason_ = Termination::kNone;
  std::atomic<bool> broken_{false};
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ISOLATE_HOLDER_H_
