#include "bindings/sandbox_binding.h"

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "bindings/errors.h"
#include "bindings/gil.h"
#include "bindings/py_to_tree.h"
#include "bindings/tree_to_py.h"
#include "core/isolate_pool.h"

namespace py = pybind11;

namespace ci::bindings {
namespace {

constexpr size_t kMaxCodeBytes = 4 << 20;

/** The code of a request as UTF-8, checked: a str, valid Unicode, no NUL, bounded. */
struct CodeText {
  const char* data;
  size_t size;
};

CodeText ReadCode(const py::handle& code) {
  if (!PyUnicode_Check(code.ptr())) {
    throw py::type_error(std::string("code must be str, not ") + Py_TYPE(code.ptr())->tp_name);
  }
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(code.ptr(), &size);
  if (data == nullptr) {
    PyErr_Clear();
    throw py::value_error("code is not valid Unicode text (it contains lone surrogates)");
  }
  if (static_cast<size_t>(size) > kMaxCodeBytes) {
    throw py::value_error("code is " + std::to_string(size) + " bytes; the limit is " +
                          std::to_string(kMaxCodeBytes) + " bytes");
  }
  if (std::memchr(data, '\0', static_cast<size_t>(size)) != nullptr) {
    throw py::value_error("code contains a NUL character");
  }
  return {data, static_cast<size_t>(size)};
}

class NativeSandbox {
 public:
  NativeSandbox(size_t memory_limit_mb, uint32_t max_isolates, bool persistent_context)
      : memory_limit_mb_(memory_limit_mb) {
    PoolConfig config;
    config.isolate.memory_limit_bytes = memory_limit_mb << 20;
    config.isolate.persistent_context = persistent_context;
    config.max_isolates = max_isolates;
    pool_ = std::make_shared<IsolatePool>(config);
  }

  py::object Evaluate(py::handle code, py::handle context, double timeout_ms, bool raw) {
    Outcome outcome = Run(code, context, timeout_ms, raw, false);
    return TreeToPy(outcome.value);
  }

  py::tuple Execute(py::handle code, py::handle context, double timeout_ms, bool raw) {
    Outcome outcome = Run(code, context, timeout_ms, raw, true);
    py::list console;
    for (const ConsoleEntry& entry : outcome.console) {
      console.append(py::make_tuple(
          entry.level,
          py::reinterpret_steal<py::str>(PyUnicode_DecodeUTF8(
              entry.text.data(), static_cast<Py_ssize_t>(entry.text.size()), "replace"))));
    }
    return py::make_tuple(TreeToPy(outcome.value), console, outcome.console_truncated,
                          outcome.wall_ms, outcome.cpu_ms);
  }

  void Prewarm(uint32_t count) {
    std::shared_ptr<IsolatePool> pool = pool_;
    std::string failure;
    RunWithoutGil([&] {
      try {
        pool->Prewarm(count);
      } catch (const std::exception& error) {
        failure = error.what();
      }
    });
    if (!failure.empty()) {
      RaiseSandboxError(failure);
    }
  }

  void Kill() { pool_->Kill(); }
  bool killed() const { return pool_->killed(); }

  py::dict Stats() const {
    PoolStats stats = pool_->stats();
    py::dict out;
    out["live_isolates"] = stats.live_isolates;
    out["busy_isolates"] = stats.busy_isolates;
    out["isolates_replaced"] = stats.isolates_replaced;
    return out;
  }

 private:
  Outcome Run(py::handle code, py::handle context, double timeout_ms, bool raw, bool capture) {
    CodeText text = ReadCode(code);
    ValueTree context_tree;
    ExecutionRequest request;
    request.code = text.data;
    request.code_length = text.size;
    request.timeout_ms = timeout_ms;
    request.raw_result = raw;
    request.capture_console = capture;
    if (!context.is_none()) {
      context_tree = PyToTree(context, ConversionLimits());
      request.context = &context_tree;
    }
    // Keeps the pool alive even if another thread drops this sandbox meanwhile.
    std::shared_ptr<IsolatePool> pool = pool_;
    Outcome outcome;
    std::string failure;
    RunWithoutGil([&] {
      try {
        outcome = pool->Execute(request);
      } catch (const std::exception& error) {
        failure = error.what();  // e.g. V8 unusable in a forked child
      }
    });
    if (!failure.empty()) {
      RaiseSandboxError(failure);
    }
    if (outcome.kind != OutcomeKind::kValue) {
      RaiseOutcome(outcome, Limits{timeout_ms, memory_limit_mb_});
    }
    return outcome;
  }

  size_t memory_limit_mb_;
  std::shared_ptr<IsolatePool> pool_;
};

}  // namespace

void RegisterSandbox(py::module_& module) {
  py::class_<NativeSandbox>(module, "NativeSandbox")
      .def(py::init<size_t, uint32_t, bool>(), py::arg("memory_limit_mb"), py::arg("max_isolates"),
           py::arg("persistent_context"))
      .def("evaluate", &NativeSandbox::Evaluate, py::arg("code"), py::arg("context"),
           py::arg("timeout_ms"), py::arg("raw"))
      .def("execute", &NativeSandbox::Execute, py::arg("code"), py::arg("context"),
           py::arg("timeout_ms"), py::arg("raw"))
      .def("prewarm", &NativeSandbox::Prewarm, py::arg("count"))
      .def("kill", &NativeSandbox::Kill)
      .def_property_readonly("killed", &NativeSandbox::killed)
      .def("stats", &NativeSandbox::Stats);
}

}  // namespace ci::bindings
