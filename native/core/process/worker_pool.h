#ifndef CODE_INTERPRETER_CORE_PROCESS_WORKER_POOL_H_
#define CODE_INTERPRETER_CORE_PROCESS_WORKER_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/engine/clock.h"
#include "core/engine/watchdog.h"
#include "core/isolate/code_ledger.h"
#include "core/pool/execution_pool.h"
#include "core/pool/isolate_pool.h"
#include "core/process/worker_process.h"

namespace ci {

struct WorkerPoolConfig {
  PoolConfig pool;  // max_isolates: the worker processes; isolate: what each one runs
  std::string executable;
};

/**
 * Process isolation: each isolate lives in a worker process of its own (worker/), which locks
 * itself down before it runs any JavaScript, one execution at a time. The parent keeps its own
 * deadline: a worker that has not answered by the execution's deadline plus kGraceMs is killed
 * (kTimeout). A worker that dies or sends a malformed message fails only its execution
 * (kWorkerLost, saying how) and its slot gets a new process for the next caller. Kill() kills
 * every worker; executions in flight end kKilled.
 */
class WorkerPool final : public ExecutionPool {
 public:
  static constexpr double kGraceMs = 1000;
  static constexpr double kStartTimeoutMs = 20000;

  explicit WorkerPool(WorkerPoolConfig config);
  ~WorkerPool() override;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Execute(const ExecutionRequest& request, Outcome* outcome) override;
  void Prewarm(uint32_t count) override;
  void Kill() override;
  bool killed() const override;
  PoolStats stats() const override;
  std::vector<WorkerStatus> workers() const override;

 private:
  // Interrupts the host call running for a slot's execution when its deadline passes (the
  // worker cannot: it waits for the call's reply).
  class HostWatch final : public TerminationTarget {
   public:
    HostWatch(HostFunctions* host, const void* caller) : host_(host), caller_(caller) {}
    void OnDeadline(uint64_t execution_id, bool repeat) override {
      if (slot_.Due()) {
        host_->Interrupt(caller_);
      }
    }
    WatchdogSlot& slot() { return slot_; }

   private:
    HostFunctions* const host_;
    const void* const caller_;
    WatchdogSlot slot_{this};
  };

  struct Slot {
    std::shared_ptr<WorkerProcess> process;  // null until started, and after it ended
    std::unique_ptr<HostWatch> watch;        // with host functions
    bool busy = false;
    uint64_t restarts = 0;
    uint64_t executions = 0;  // of this process: a cancellation names one by its number
    PoolStats figures;        // as its worker last reported them
  };

  // A slot marked busy, or null once killed.
  Slot* Acquire();
  // Frees the slot; without `keep` its process is reaped (and counted as a restart unless the
  // pool was killed). Returns the process to dispose of outside the lock.
  std::shared_ptr<WorkerProcess> Release(Slot* slot, bool keep);
  // Starts the slot's process if it has none. Throws std::runtime_error.
  void EnsureStarted(Slot* slot);
  // One execution on the slot's process; false when the process is gone (reaped).
  bool Converse(Slot* slot, const ExecutionRequest& request, Outcome* outcome);
  // Runs a host call the worker asked for, on this thread, and sends its reply (waiting for
  // room in the channel until `deadline`). False when it could not be sent.
  bool AnswerHostCall(Slot* slot,
                      MessageReader& reader,
                      const std::shared_ptr<HostCompletionSink>& completions,
                      Clock::time_point deadline);

  const WorkerPoolConfig config_;
  HostFunctions* const host_;  // null without host functions
  const std::string setup_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Slot> slots_;
  PoolStats ended_;  // figures of processes no longer running
  bool killed_ = false;
  // What the workers learned of each code for the recycled path, passed on to the worker that
  // runs it next; none in persistent-context mode, where nothing is recycled.
  const std::unique_ptr<CodeLedger> ledger_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_PROCESS_WORKER_POOL_H_
