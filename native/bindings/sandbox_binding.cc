#include "bindings/sandbox_binding.h"

#include <atomic>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "bindings/errors.h"
#include "bindings/gil.h"
#include "bindings/py_to_tree.h"
#include "bindings/tree_to_py.h"
#include "core/cancel_token.h"
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

/** Lets Python cancel one execution (see core/cancel_token.h). */
class PyCancelToken {
 public:
  PyCancelToken() : token_(std::make_shared<CancelToken>()) {}
  void Cancel() { token_->Cancel(); }
  bool cancelled() const { return token_->cancelled(); }
  CancelToken* get() const { return token_.get(); }

 private:
  std::shared_ptr<CancelToken> token_;
};

class NativeSandbox {
 public:
  explicit NativeSandbox(const PoolConfig& config) : config_(config) {
    pool_ = std::make_shared<IsolatePool>(config);
  }

  py::object Evaluate(py::handle code,
                      py::handle context,
                      double timeout_ms,
                      bool raw,
                      const PyCancelToken* token) {
    Outcome outcome = Run(code, context, timeout_ms, raw, false, token);
    return TreeToPy(outcome.value);
  }

  py::tuple Execute(py::handle code,
                    py::handle context,
                    double timeout_ms,
                    bool raw,
                    const PyCancelToken* token) {
    Outcome outcome = Run(code, context, timeout_ms, raw, true, token);
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

  // Runs every code in one crossing: one GIL release for the whole batch. Returns a list of
  // (True, value, wall_ms) or (False, exception, wall_ms), in order.
  py::list EvaluateMany(py::sequence codes, py::handle context, double timeout_ms, bool raw) {
    std::vector<CodeText> texts;
    std::vector<py::object> keep;
    for (py::handle code : codes) {
      texts.push_back(ReadCode(code));
      keep.push_back(py::reinterpret_borrow<py::object>(code));
    }
    ValueTree context_tree;
    if (!context.is_none()) {
      context_tree = PyToTree(context, ConversionLimits());
    }
    std::shared_ptr<IsolatePool> pool = pool_;
    std::vector<Outcome> outcomes(texts.size());
    std::string failure;
    RunWithoutGil([&] {
      try {
        for (size_t i = 0; i < texts.size(); ++i) {
          ExecutionRequest request;
          request.code = texts[i].data;
          request.code_length = texts[i].size;
          request.context = context.is_none() ? nullptr : &context_tree;
          request.timeout_ms = timeout_ms;
          request.raw_result = raw;
          request.capture_console = false;
          outcomes[i] = pool->Execute(request);
        }
      } catch (const std::exception& error) {
        failure = error.what();
      }
    });
    if (!failure.empty()) {
      RaiseSandboxError(failure);
    }
    py::list results;
    for (Outcome& outcome : outcomes) {
      Remember(outcome);
      if (outcome.kind == OutcomeKind::kValue) {
        try {
          results.append(py::make_tuple(true, TreeToPy(outcome.value), outcome.wall_ms));
        } catch (py::error_already_set& error) {
          results.append(py::make_tuple(false, error.value(), outcome.wall_ms));
        }
      } else {
        results.append(py::make_tuple(
            false, OutcomeError(outcome, Limits{timeout_ms, MemoryLimitMb()}), outcome.wall_ms));
      }
    }
    return results;
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
    out["compilations"] = stats.compilations;
    return out;
  }

  // Whether every execution reads the heap figures (a memory:warning listener needs them).
  void SetReadHeap(bool on) { read_heap_.store(on, std::memory_order_relaxed); }

  // Heap figures after the most recent execution: (heap_used, heap_total, external).
  py::tuple Memory() const {
    return py::make_tuple(heap_used_.load(), heap_total_.load(), external_.load());
  }

 private:
  size_t MemoryLimitMb() const { return config_.isolate.memory_limit_bytes >> 20; }

  void Remember(const Outcome& outcome) {
    if (outcome.heap_total != 0) {
      heap_used_.store(outcome.heap_used);
      heap_total_.store(outcome.heap_total);
      external_.store(outcome.external);
    }
  }

  Outcome Run(py::handle code,
              py::handle context,
              double timeout_ms,
              bool raw,
              bool capture,
              const PyCancelToken* token) {
    CodeText text = ReadCode(code);
    ValueTree context_tree;
    ExecutionRequest request;
    request.code = text.data;
    request.code_length = text.size;
    request.timeout_ms = timeout_ms;
    request.raw_result = raw;
    request.capture_console = capture;
    request.measure_cpu = capture;  // execute() reports CPU time; evaluate() does not
    request.read_heap = read_heap_.load(std::memory_order_relaxed);
    request.token = token != nullptr ? token->get() : nullptr;
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
    Remember(outcome);
    if (outcome.kind != OutcomeKind::kValue) {
      RaiseOutcome(outcome, Limits{timeout_ms, MemoryLimitMb()});
    }
    return outcome;
  }

  const PoolConfig config_;
  std::shared_ptr<IsolatePool> pool_;
  std::atomic<uint64_t> heap_used_{0};
  std::atomic<uint64_t> heap_total_{0};
  std::atomic<uint64_t> external_{0};
  std::atomic<bool> read_heap_{false};
};

PoolConfig MakeConfig(size_t memory_limit_mb,
                      uint32_t max_isolates,
                      uint32_t keep_idle,
                      bool persistent_context,
                      bool cache_scripts,
                      double cpu_quota,
                      size_t console_max_entries,
                      size_t console_max_bytes,
                      bool timers,
                      bool webassembly,
                      uint32_t max_timers,
                      std::vector<std::string> allowed_globals,
                      py::handle custom_globals) {
  PoolConfig config;
  config.max_isolates = max_isolates;
  config.keep_idle = keep_idle;
  IsolateConfig& isolate = config.isolate;
  isolate.memory_limit_bytes = memory_limit_mb << 20;
  isolate.persistent_context = persistent_context;
  isolate.cache_scripts = cache_scripts;
  isolate.cpu_quota = cpu_quota;
  isolate.console_max_entries = console_max_entries;
  isolate.console_max_bytes = console_max_bytes;
  isolate.profile.timers = timers;
  isolate.profile.webassembly = webassembly;
  isolate.profile.max_timers = max_timers;
  isolate.profile.allowed_globals = std::move(allowed_globals);
  if (!custom_globals.is_none()) {
    isolate.profile.custom_globals =
        std::make_shared<const ValueTree>(PyToTree(custom_globals, ConversionLimits()));
  }
  return config;
}

}  // namespace

void RegisterSandbox(py::module_& module) {
  py::class_<PyCancelToken>(module, "CancelToken")
      .def(py::init<>())
      .def("cancel", &PyCancelToken::Cancel)
      .def_property_readonly("cancelled", &PyCancelToken::cancelled);

  py::class_<NativeSandbox>(module, "NativeSandbox")
      .def(py::init([](size_t memory_limit_mb, uint32_t max_isolates, uint32_t keep_idle,
                       bool persistent_context, bool cache_scripts, double cpu_quota,
                       size_t console_max_entries, size_t console_max_bytes, bool timers,
                       bool webassembly, uint32_t max_timers,
                       std::vector<std::string> allowed_globals, py::handle custom_globals) {
             return std::make_unique<NativeSandbox>(MakeConfig(
                 memory_limit_mb, max_isolates, keep_idle, persistent_context, cache_scripts,
                 cpu_quota, console_max_entries, console_max_bytes, timers, webassembly, max_timers,
                 std::move(allowed_globals), custom_globals));
           }),
           py::kw_only(), py::arg("memory_limit_mb"), py::arg("max_isolates"), py::arg("keep_idle"),
           py::arg("persistent_context"), py::arg("cache_scripts") = true,
           py::arg("cpu_quota") = 1.0, py::arg("console_max_entries") = 1000,
           py::arg("console_max_bytes") = 1 << 20, py::arg("timers") = false,
           py::arg("webassembly") = false, py::arg("max_timers") = 1000,
           py::arg("allowed_globals") = std::vector<std::string>(),
           py::arg("custom_globals") = py::none())
      .def("evaluate", &NativeSandbox::Evaluate, py::arg("code"), py::arg("context"),
           py::arg("timeout_ms"), py::arg("raw"), py::arg("token") = nullptr)
      .def("execute", &NativeSandbox::Execute, py::arg("code"), py::arg("context"),
           py::arg("timeout_ms"), py::arg("raw"), py::arg("token") = nullptr)
      .def("evaluate_many", &NativeSandbox::EvaluateMany, py::arg("codes"), py::arg("context"),
           py::arg("timeout_ms"), py::arg("raw"))
      .def("prewarm", &NativeSandbox::Prewarm, py::arg("count"))
      .def("kill", &NativeSandbox::Kill)
      .def_property_readonly("killed", &NativeSandbox::killed)
      .def("stats", &NativeSandbox::Stats)
      .def("memory", &NativeSandbox::Memory)
      .def("set_read_heap", &NativeSandbox::SetReadHeap, py::arg("on"));
}

}  // namespace ci::bindings
