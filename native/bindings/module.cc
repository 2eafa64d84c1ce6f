#include <pybind11/pybind11.h>

#include <iterator>

#include "bindings/cancel_token_binding.h"
#include "bindings/channel_probe.h"
#include "bindings/host_binding.h"
#include "bindings/module_store_binding.h"
#include "bindings/quiet_interpret.h"
#include "bindings/sandbox_binding.h"
#include "bindings/sandbox_inputs.h"
#include "bindings/sandbox_reports.h"
#include "core/engine/platform.h"
#include "core/engine/side_effect_free.h"
#include "core/engine/thread_parking.h"
#include "core/pool/execution_stats.h"
#include "core/realm/identifiers.h"

namespace py = pybind11;

PYBIND11_MODULE(_core, module) {
  module.doc() = "V8 execution core of code_interpreter";
  ci::bindings::RegisterModuleStore(module);
  ci::bindings::RegisterHostFunctions(module);
  ci::bindings::RegisterSandboxConfig(module);
  ci::bindings::RegisterCancelToken(module);
  ci::bindings::RegisterExecutionReport(module);
  ci::bindings::RegisterSandbox(module);
  ci::bindings::RegisterQuietInterpret(module);
  ci::bindings::RegisterChannelProbe(module);
  module.def("v8_version", [] {
    ci::Platform::EnsureInitialized();
    return ci::Platform::V8Version();
  });
  module.attr("V8_HEADERS_VERSION") = CI_V8_VERSION;
  // V8's background threads in this process, before V8 starts (False once it has).
  module.def(
      "set_background_threads",
      [](int threads) {
        if (threads < 1 || threads > 64) {
          throw py::value_error("background threads must be 1..64");
        }
        return ci::Platform::SetBackgroundThreads(threads);
      },
      py::arg("threads"));
  // Threads' V8 states parked on isolates now, and those given up by disposed isolates.
  module.def("thread_parking", [] {
    py::dict counts;
    counts["parked"] = ci::ThreadParking::parked();
    counts["orphans"] = ci::ThreadParking::orphans();
    return counts;
  });
  // Whether fresh-context runs can be served by a recycled context (runner.cc).
  module.attr("RECYCLES_CONTEXTS") = ci::kSideEffectFreeEvaluation;
  py::tuple reserved(std::size(ci::kReservedWords));
  for (size_t i = 0; i < std::size(ci::kReservedWords); ++i) {
    reserved[i] = py::str(ci::kReservedWords[i]);
  }
  module.attr("RESERVED_WORDS") = reserved;
  // The layout of duration_buckets(), for merging histograms of several sandboxes.
  module.attr("DURATION_SMALLEST_MS") = ci::ExecutionStats::kSmallestMs;
  module.attr("DURATION_GROWTH") = ci::ExecutionStats::kGrowth;
  module.attr("DURATION_BUCKETS") = ci::ExecutionStats::kBuckets;
}
