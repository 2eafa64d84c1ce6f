#include "bindings/sandbox_reports.h"

namespace py = pybind11;

namespace ci::bindings {

py::dict PoolReport(const PoolStats& stats) {
  py::dict out;
  out["live_isolates"] = stats.live_isolates;
  out["busy_isolates"] = stats.busy_isolates;
  out["isolates_replaced"] = stats.isolates_replaced;
  out["compilations"] = stats.counts.compilations;
  out["contexts_recycled"] = stats.counts.recycled_runs;
  out["isolates_retired"] = stats.isolates_retired;
  auto measured = [](double ms) { return ms < 0 ? py::object(py::none()) : py::float_(ms); };
  out["attempt_overhead_ms"] = measured(stats.attempt_overhead_ms);
  out["new_context_ms"] = measured(stats.new_context_ms);
  out["contexts_prepared"] = stats.contexts_prepared;
  out["contexts_made_on_call"] = stats.counts.contexts_made_on_call;
  return out;
}

py::list WorkersReport(const std::vector<WorkerStatus>& workers) {
  py::list out;
  for (const WorkerStatus& worker : workers) {
    py::dict entry;
    entry["pid"] = worker.pid != 0 ? py::object(py::int_(worker.pid)) : py::object(py::none());
    entry["seccomp"] = worker.seccomp;
    entry["no_new_privs"] = worker.no_new_privs;
    py::list namespaces;
    for (const std::string& name : worker.namespaces) {
      namespaces.append(name);
    }
    entry["namespaces"] = namespaces;
    entry["restarts"] = worker.restarts;
    entry["busy"] = worker.busy;
    out.append(entry);
  }
  return out;
}

py::dict MetricsReport(const ExecutionStats::Snapshot& snapshot) {
  py::dict out;
  out["total"] = snapshot.total;
  out["successful"] = snapshot.successful;
  out["failed"] = snapshot.failed;
  out["average_time"] = snapshot.average_ms;
  out["median_time"] = snapshot.median_ms;
  out["p95_time"] = snapshot.p95_ms;
  out["p99_time"] = snapshot.p99_ms;
  out["memory_current"] = snapshot.memory_current;
  out["memory_peak"] = snapshot.memory_peak;
  return out;
}

void RegisterExecutionReport(py::module_& module) {
  py::class_<BatchOutcome>(module, "BatchOutcome")
      .def_readonly("ok", &BatchOutcome::ok)
      .def_readonly("value", &BatchOutcome::value)
      .def_readonly("wall_ms", &BatchOutcome::wall_ms);
  py::class_<ExecutionReport>(module, "ExecutionReport")
      .def_readonly("value", &ExecutionReport::value)
      .def_readonly("console", &ExecutionReport::console)
      .def_readonly("console_truncated", &ExecutionReport::console_truncated)
      .def_readonly("wall_ms", &ExecutionReport::wall_ms)
      .def_readonly("cpu_ms", &ExecutionReport::cpu_ms);
}

}  // namespace ci::bindings
