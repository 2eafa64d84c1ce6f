#ifndef CODE_INTERPRETER_CORE_POOL_EXECUTION_POOL_H_
#define CODE_INTERPRETER_CORE_POOL_EXECUTION_POOL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/isolate/isolate_counters.h"
#include "core/run/outcome.h"

namespace ci {

struct PoolStats {
  uint32_t live_isolates = 0;
  uint32_t busy_isolates = 0;
  uint64_t isolates_replaced = 0;  // retired at the memory limit (status key of its own)
  // Retired for any other reason (isolate_holder.h RetireReason).
  uint64_t isolates_retired = 0;
  // Of the idle isolates: the largest attempt overhead last measured and the smallest cost of
  // a new context, in ms; negative when none was measured.
  double attempt_overhead_ms = -1;
  double new_context_ms = -1;
  uint64_t contexts_prepared = 0;  // made ahead of time, off the callers' path
  IsolateCounts counts;            // of every isolate the pool has had
};

/** One worker process of a sandbox in process isolation (core/process/worker_pool.h). */
struct WorkerStatus {
  int64_t pid = 0;  // 0 while the slot has no process
  bool seccomp = false;
  bool no_new_privs = false;
  std::vector<std::string> namespaces;
  uint64_t restarts = 0;  // processes of this slot that died or were stopped
  bool busy = false;
};

/**
 * Where a sandbox's executions run: isolates in this process (IsolatePool), or isolates in
 * worker processes (WorkerPool). Execute fills `outcome`, a new one, with exactly one outcome.
 */
class ExecutionPool {
 public:
  virtual ~ExecutionPool() = default;
  virtual void Execute(const ExecutionRequest& request, Outcome* outcome) = 0;
  // Makes isolates (and their processes) up front, up to `count`.
  virtual void Prewarm(uint32_t count) = 0;
  virtual void Kill() = 0;
  virtual bool killed() const = 0;
  virtual PoolStats stats() const = 0;
  // Empty in this process; one entry per slot in process isolation.
  virtual std::vector<WorkerStatus> workers() const { return {}; }
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_POOL_EXECUTION_POOL_H_
