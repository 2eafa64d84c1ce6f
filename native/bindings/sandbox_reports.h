#ifndef CODE_INTERPRETER_BINDINGS_SANDBOX_REPORTS_H_
#define CODE_INTERPRETER_BINDINGS_SANDBOX_REPORTS_H_

#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "core/pool/execution_pool.h"
#include "core/pool/execution_stats.h"

namespace ci::bindings {

/** What execute() gives back, by name (ExecutionResult.from_native reads it). */
struct ExecutionReport {
  pybind11::object value;
  pybind11::list console;  // (level, text) pairs
  bool console_truncated = false;
  double wall_ms = 0;
  double cpu_ms = 0;
};

/** One outcome of evaluate_many(): a value, or the exception to raise in its place. */
struct BatchOutcome {
  bool ok = false;
  pybind11::object value;  // the value, or the exception
  double wall_ms = 0;
};

// get_status()["isolates"]: the pool's figures, under the names the README documents.
pybind11::dict PoolReport(const PoolStats& stats);
// get_status()["isolation"]["workers"]: pid, seccomp, no_new_privs, namespaces, restarts, busy.
pybind11::list WorkersReport(const std::vector<WorkerStatus>& workers);
// get_metrics(): the fields the README lists, in snake_case.
pybind11::dict MetricsReport(const ExecutionStats::Snapshot& snapshot);
// `_core.ExecutionReport` and `_core.BatchOutcome`.
void RegisterExecutionReport(pybind11::module_& module);

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_SANDBOX_REPORTS_H_
