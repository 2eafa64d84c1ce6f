#include "bindings/sandbox_binding.h"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "bindings/cancel_token_binding.h"
#include "bindings/convert/tree_to_py.h"
#include "bindings/convert/wire_to_py.h"
#include "bindings/errors.h"
#include "bindings/gil.h"
#include "bindings/host_binding.h"
#include "bindings/module_store_binding.h"
#include "bindings/sandbox_inputs.h"
#include "bindings/sandbox_reports.h"
#include "core/engine/cancel_token.h"
#include "core/engine/platform.h"
#include "core/pool/execution_stats.h"
#include "core/pool/isolate_pool.h"

namespace py = pybind11;

namespace ci::bindings {
namespace {

/**
 * One sandbox's native side: its isolate pool plus the bookkeeping every call needs (the
 * fork check, the in-flight count a graceful kill waits for, counters, durations, memory), so
 * a call from Python is a single crossing.
 */
class NativeSandbox {
 public:
  explicit NativeSandbox(const SandboxConfig& settings)
      : config_(MakeConfig(settings)),
        default_timeout_ms_(settings.default_timeout_ms),
        pid_(getpid()),
        fork_generation_(Platform::ForkGeneration()),
        pool_(MakePool(settings, config_)) {}

  ~NativeSandbox() {
    if (getpid() != pid_) {
      // In a forked child V8's threads are gone: disposing the parent's isolates would crash.
      // They are left as they are, unreachable.
      new std::shared_ptr<ExecutionPool>(std::move(pool_));
    }
  }
  NativeSandbox(const NativeSandbox&) = delete;
  NativeSandbox& operator=(const NativeSandbox&) = delete;

  py::object Evaluate(py::handle code,
                      py::handle context,
                      double timeout_ms,
                      bool raw,
                      const PyCancelToken* token) {
    Outcome outcome = Run(code, context, timeout_ms, raw, false, token);
    return ValueOf(outcome);
  }

  ExecutionReport Execute(py::handle code,
                          py::handle context,
                          double timeout_ms,
                          bool raw,
                          const PyCancelToken* token) {
    Outcome outcome = Run(code, context, timeout_ms, raw, true, token);
    ExecutionReport report;
    for (const ConsoleEntry& entry : outcome.console) {
      report.console.append(py::make_tuple(
          entry.level,
          py::reinterpret_steal<py::str>(PyUnicode_DecodeUTF8(
              entry.text.data(), static_cast<Py_ssize_t>(entry.text.size()), "replace"))));
    }
    report.value = ValueOf(outcome);
    report.console_truncated = outcome.console_truncated;
    report.wall_ms = outcome.wall_ms;
    report.cpu_ms = outcome.cpu_ms;
    return report;
  }

  // Runs every code in one crossing: one GIL release for the whole batch. Returns a
  // BatchOutcome per code, in order.
  std::vector<BatchOutcome> EvaluateMany(py::sequence codes,
                                         py::handle context,
                                         double timeout_ms,
                                         bool raw) {
    CheckUsable(context);
    CheckNotReentrant();
    std::vector<CodeText> texts;
    for (py::handle code : codes) {
      texts.push_back(ReadCode(code));
    }
    const CallContext call_context = ReadContext(context, config_);
    timeout_ms = std::isnan(timeout_ms) ? default_timeout_ms_ : timeout_ms;
    std::shared_ptr<ExecutionPool> pool = pool_;
    std::vector<Outcome> outcomes(texts.size());
    std::string failure;
    HostErrorScope host_errors(config_.isolate.profile.host.get());
    InFlight guard(this, texts.size());
    RunWithoutGil([&] {
      try {
        for (size_t i = 0; i < texts.size(); ++i) {
          ExecutionRequest request;
          request.code = texts[i].data;
          request.code_length = texts[i].size;
          call_context.Into(&request);
          request.timeout_ms = timeout_ms;
          request.raw_result = raw;
          request.capture_console = false;
          request.read_heap = read_heap_.load(std::memory_order_relaxed);
          pool->Execute(request, &outcomes[i]);
          if (outcomes[i].kind == OutcomeKind::kInterrupted) {
            outcomes.resize(i + 1);  // the interrupt ends the batch too
            break;
          }
        }
      } catch (const std::exception& error) {
        failure = error.what();
      }
    });
    if (!failure.empty()) {
      RaiseSandboxError(failure);
    }
    for (const Outcome& outcome : outcomes) {
      Book(outcome);
    }
    if (!outcomes.empty() && outcomes.back().kind == OutcomeKind::kInterrupted) {
      RaiseInterrupt(host_errors);
    }
    std::vector<BatchOutcome> results(outcomes.size());
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const Outcome& outcome = outcomes[i];
      BatchOutcome& result = results[i];
      result.wall_ms = outcome.wall_ms;
      if (outcome.kind == OutcomeKind::kValue) {
        try {
          result.value = ValueOf(outcome);
          result.ok = true;
        } catch (py::error_already_set& error) {
          result.value = error.value();
        }
      } else {
        result.value = OutcomeError(outcome, Limits{timeout_ms, MemoryLimitMb()});
        py::object cause = host_errors.Take(outcome.host_error);
        if (!cause.is_none()) {
          PyException_SetCause(result.value.ptr(), cause.inc_ref().ptr());  // steals the ref
        }
      }
    }
    return results;
  }

  void Prewarm(uint32_t count) {
    std::shared_ptr<ExecutionPool> pool = pool_;
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

  // Refuses new calls; a graceful close first waits for the calls in flight, then the isolates
  // are stopped and disposed. Safe from any thread, any number of times. A graceful close that
  // may not wait (`wait` false, or made from inside a host call of this sandbox, whose own
  // execution it would wait for) returns at once; the last call in flight stops the pool.
  void Close(bool graceful, bool wait) {
    closing_.store(true, std::memory_order_release);
    if (graceful && (!wait || InHostCallOf(config_.isolate.profile.host.get()))) {
      kill_when_idle_.store(true, std::memory_order_seq_cst);
      if (in_flight_.load(std::memory_order_seq_cst) == 0 &&
          kill_when_idle_.exchange(false, std::memory_order_seq_cst)) {
        pool_->Kill();
      }
      return;
    }
    if (graceful) {
      RunWithoutGil([this] {
        awaiting_idle_.store(true, std::memory_order_seq_cst);
        std::unique_lock<std::mutex> lock(in_flight_mutex_);
        idle_.wait(lock, [this] { return in_flight_.load(std::memory_order_seq_cst) == 0; });
      });
    }
    pool_->Kill();
  }

  bool closing() const { return closing_.load(std::memory_order_acquire); }
  uint64_t executions() const { return executions_.load(std::memory_order_relaxed); }
  size_t in_flight() const { return in_flight_.load(std::memory_order_acquire); }

  py::dict Stats() const { return PoolReport(pool_->stats()); }

  // One dict per worker process slot; empty when isolates run in this process.
  py::list Workers() const { return WorkersReport(pool_->workers()); }

  py::dict Metrics() const { return MetricsReport(stats_.Read()); }

  std::vector<std::pair<size_t, uint64_t>> DurationBuckets() const {
    return stats_.NonEmptyBuckets();
  }

  // Whether every execution reads the heap figures (a memory:warning listener needs them).
  void SetReadHeap(bool on) { read_heap_.store(on, std::memory_order_relaxed); }

  // Heap figures after the most recent reading: (heap_used, heap_total, external).
  py::tuple Memory() const {
    return py::make_tuple(heap_used_.load(), heap_total_.load(), external_.load());
  }

 private:
  /**
   * Counts a call in flight for its whole length, including while it waits for an isolate.
   *
   * Without a lock per call: the last call out wakes a graceful close only if one waits. Both
   * sides are sequentially consistent, so either the call sees the close waiting, or the close
   * sees the call gone; the wake-up takes the mutex, so it cannot fall between the close's check
   * and its wait.
   */
  class InFlight {
   public:
    InFlight(NativeSandbox* owner, size_t count) : owner_(owner), count_(count) {
      owner_->in_flight_.fetch_add(count_, std::memory_order_seq_cst);
      owner_->executions_.fetch_add(count_, std::memory_order_relaxed);
    }
    ~InFlight() {
      if (owner_->in_flight_.fetch_sub(count_, std::memory_order_seq_cst) != count_) {
        return;
      }
      if (owner_->awaiting_idle_.load(std::memory_order_seq_cst)) {
        std::lock_guard<std::mutex> lock(owner_->in_flight_mutex_);
        owner_->idle_.notify_all();
      }
      if (owner_->kill_when_idle_.load(std::memory_order_seq_cst) &&
          owner_->kill_when_idle_.exchange(false, std::memory_order_seq_cst)) {
        owner_->pool_->Kill();
      }
    }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    NativeSandbox* owner_;
    size_t count_;
  };

  static py::object ValueOf(const Outcome& outcome) {
    return outcome.wire.empty() ? TreeToPy(outcome.value)
                                : WireToPy(outcome.wire, ConversionLimits());
  }

  size_t MemoryLimitMb() const { return config_.isolate.memory_limit_bytes >> 20; }

  void CheckUsable(py::handle context) {
    if (Platform::ForkGeneration() != fork_generation_) {
      RaiseError(
          "SandboxKilled",
          "this sandbox belongs to the parent of this forked process; create a new one here");
    }
    if (closing()) {
      RaiseError("SandboxKilled", "the sandbox was killed");
    }
    if (!context.is_none() && !PyDict_Check(context.ptr())) {
      throw py::type_error(std::string("context must be a dict or None, not ") +
                           Py_TYPE(context.ptr())->tp_name);
    }
  }

  void CheckNotReentrant() const {
    if (InHostCallOf(config_.isolate.profile.host.get())) {
      RaiseSandboxError(
          "a host function called its own sandbox, whose isolates its caller may hold: run it "
          "on another sandbox");
    }
  }

  // Re-raises the KeyboardInterrupt (or SystemExit) a host function raised, which ended the
  // execution: it belongs to the caller, not to script.
  static void RaiseInterrupt(HostErrorScope& host_errors) {
    py::object interrupt = host_errors.TakeInterrupt();
    if (interrupt.is_none()) {
      RaiseSandboxError("a host function interrupted the execution");
    }
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(interrupt.ptr())), interrupt.ptr());
    throw py::error_already_set();
  }

  void Book(const Outcome& outcome) {
    stats_.Record(outcome.wall_ms, outcome.kind == OutcomeKind::kValue);
    if (outcome.heap_total != 0) {
      heap_used_.store(outcome.heap_used, std::memory_order_relaxed);
      heap_total_.store(outcome.heap_total, std::memory_order_relaxed);
      external_.store(outcome.external, std::memory_order_relaxed);
      stats_.RecordMemory(outcome.heap_used);
    }
  }

  Outcome Run(py::handle code,
              py::handle context,
              double timeout_ms,
              bool raw,
              bool capture,
              const PyCancelToken* token) {
    CheckUsable(context);
    CheckNotReentrant();
    CodeText text = ReadCode(code);
    const CallContext call_context = ReadContext(context, config_);
    ExecutionRequest request;
    request.code = text.data;
    request.code_length = text.size;
    request.timeout_ms = std::isnan(timeout_ms) ? default_timeout_ms_ : timeout_ms;
    request.raw_result = raw;
    request.capture_console = capture;
    request.measure_cpu = capture;  // execute() reports CPU time; evaluate() does not
    request.read_heap = read_heap_.load(std::memory_order_relaxed);
    request.token = token != nullptr ? token->get() : nullptr;
    call_context.Into(&request);
    // Keeps the pool alive even if another thread drops this sandbox meanwhile.
    std::shared_ptr<ExecutionPool> pool = pool_;
    Outcome outcome;
    std::string failure;
    HostErrorScope host_errors(config_.isolate.profile.host.get());
    {
      InFlight guard(this, 1);
      RunWithoutGil([&] {
        try {
          pool->Execute(request, &outcome);
        } catch (const std::exception& error) {
          failure = error.what();  // e.g. V8 unusable in a forked child
        }
      });
    }
    if (!failure.empty()) {
      RaiseSandboxError(failure);
    }
    Book(outcome);
    if (outcome.kind == OutcomeKind::kInterrupted) {
      RaiseInterrupt(host_errors);
    }
    if (outcome.kind != OutcomeKind::kValue) {
      RaiseOutcome(outcome, Limits{request.timeout_ms, MemoryLimitMb()},
                   host_errors.Take(outcome.host_error));
    }
    return outcome;
  }

  const PoolConfig config_;
  const double default_timeout_ms_;
  const pid_t pid_;
  const uint64_t fork_generation_;
  std::shared_ptr<ExecutionPool> pool_;
  ExecutionStats stats_;
  std::atomic<bool> closing_{false};
  std::atomic<uint64_t> executions_{0};
  std::mutex in_flight_mutex_;  // only for a graceful close's wait
  std::condition_variable idle_;
  std::atomic<size_t> in_flight_{0};
  std::atomic<bool> awaiting_idle_{false};
  std::atomic<bool> kill_when_idle_{false};  // a graceful close that could not wait
  std::atomic<uint64_t> heap_used_{0};
  std::atomic<uint64_t> heap_total_{0};
  std::atomic<uint64_t> external_{0};
  std::atomic<bool> read_heap_{false};
};

}  // namespace

void* NativeSandboxOf(py::handle native) {
  return py::cast<NativeSandbox*>(native);
}

PyObject* EvaluateQuietly(void* sandbox, PyObject* code, PyObject* context, bool raw) {
  try {
    return static_cast<NativeSandbox*>(sandbox)
        ->Evaluate(code, context, std::nan(""), raw, nullptr)
        .release()
        .ptr();
  } catch (py::error_already_set& error) {
    error.restore();
  } catch (py::builtin_exception& error) {
    error.set_error();  // type_error, value_error, cast_error
  } catch (const std::exception& error) {
    PyErr_SetString(PyExc_RuntimeError, error.what());
  }
  return nullptr;
}

void RegisterSandbox(py::module_& module) {
  py::class_<NativeSandbox>(module, "NativeSandbox")
      .def(py::init<const SandboxConfig&>(), py::arg("config"))
      .def("evaluate", &NativeSandbox::Evaluate, py::arg("code"), py::arg("context"),
           py::arg("timeout_ms") = std::nan(""), py::arg("raw") = false, py::arg("token") = nullptr)
      .def("execute", &NativeSandbox::Execute, py::arg("code"), py::arg("context"),
           py::arg("timeout_ms") = std::nan(""), py::arg("raw") = false, py::arg("token") = nullptr)
      .def("evaluate_many", &NativeSandbox::EvaluateMany, py::arg("codes"), py::arg("context"),
           py::arg("timeout_ms") = std::nan(""), py::arg("raw") = false)
      .def("prewarm", &NativeSandbox::Prewarm, py::arg("count"))
      .def("close", &NativeSandbox::Close, py::arg("graceful"), py::arg("wait") = true)
      .def_property_readonly("closing", &NativeSandbox::closing)
      .def_property_readonly("executions", &NativeSandbox::executions)
      .def_property_readonly("in_flight", &NativeSandbox::in_flight)
      .def("stats", &NativeSandbox::Stats)
      .def("workers", &NativeSandbox::Workers)
      .def("metrics", &NativeSandbox::Metrics)
      .def("duration_buckets", &NativeSandbox::DurationBuckets)
      .def("memory", &NativeSandbox::Memory)
      .def("set_read_heap", &NativeSandbox::SetReadHeap, py::arg("on"));
}

}  // namespace ci::bindings
