#include "bindings/sandbox_inputs.h"

#include <cstring>
#include <memory>
#include <utility>

#include <pybind11/stl.h>

#include "bindings/convert/py_to_wire.h"
#include "bindings/host_binding.h"
#include "bindings/module_store_binding.h"
#include "core/engine/side_effect_free.h"
#include "core/process/worker_pool.h"

namespace py = pybind11;

namespace ci::bindings {
namespace {

constexpr size_t kMaxCodeBytes = 4 << 20;

}  // namespace

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

PoolConfig MakeConfig(const SandboxConfig& settings) {
  PoolConfig config;
  config.max_isolates = settings.max_isolates;
  config.keep_idle = settings.keep_idle;
  IsolateConfig& isolate = config.isolate;
  isolate.memory_limit_bytes = settings.memory_limit_mb << 20;
  isolate.persistent_context = settings.persistent_context;
  isolate.cache_scripts = settings.cache_scripts;
  isolate.cpu_quota = settings.cpu_quota;
  isolate.console_max_entries = settings.console_max_entries;
  isolate.console_max_bytes = settings.console_max_bytes;
  isolate.profile.timers = settings.timers;
  isolate.profile.webassembly = settings.webassembly;
  isolate.profile.web_globals = settings.web_globals;
  isolate.profile.max_timers = settings.max_timers;
  isolate.profile.allowed_globals = settings.allowed_globals;
  if (!settings.custom_globals.is_none()) {
    isolate.profile.custom_globals =
        std::make_shared<const std::string>(PyToWire(settings.custom_globals, ConversionLimits(),
                                                     /*large_dicts=*/!settings.persistent_context));
  }
  if (!settings.modules.is_none()) {
    isolate.profile.modules = settings.modules.cast<const PyModuleStore&>().store;
  }
  if (!settings.expose.is_none()) {
    std::vector<std::string> names;
    py::list callables;
    for (auto item : settings.expose.cast<py::dict>()) {
      names.push_back(item.first.cast<std::string>());
      callables.append(item.second);
    }
    isolate.profile.host = MakeHostFunctions(std::move(names), std::move(callables));
  }
  return config;
}

void RegisterSandboxConfig(py::module_& module) {
  py::class_<SandboxConfig>(module, "SandboxConfig")
      .def(py::init<>())
      .def_readwrite("default_timeout_ms", &SandboxConfig::default_timeout_ms)
      .def_readwrite("memory_limit_mb", &SandboxConfig::memory_limit_mb)
      .def_readwrite("max_isolates", &SandboxConfig::max_isolates)
      .def_readwrite("keep_idle", &SandboxConfig::keep_idle)
      .def_readwrite("persistent_context", &SandboxConfig::persistent_context)
      .def_readwrite("cache_scripts", &SandboxConfig::cache_scripts)
      .def_readwrite("cpu_quota", &SandboxConfig::cpu_quota)
      .def_readwrite("console_max_entries", &SandboxConfig::console_max_entries)
      .def_readwrite("console_max_bytes", &SandboxConfig::console_max_bytes)
      .def_readwrite("timers", &SandboxConfig::timers)
      .def_readwrite("webassembly", &SandboxConfig::webassembly)
      .def_readwrite("web_globals", &SandboxConfig::web_globals)
      .def_readwrite("max_timers", &SandboxConfig::max_timers)
      .def_readwrite("allowed_globals", &SandboxConfig::allowed_globals)
      .def_readwrite("custom_globals", &SandboxConfig::custom_globals)
      .def_readwrite("modules", &SandboxConfig::modules)
      .def_readwrite("expose", &SandboxConfig::expose)
      .def_readwrite("isolation", &SandboxConfig::isolation)
      .def_readwrite("worker_executable", &SandboxConfig::worker_executable);
}

std::shared_ptr<ExecutionPool> MakePool(const SandboxConfig& settings, const PoolConfig& config) {
  if (settings.isolation == "thread") {
    return std::make_shared<IsolatePool>(config);
  }
  if (settings.isolation != "process") {
    throw py::value_error("isolation must be 'thread' or 'process'");
  }
  WorkerPoolConfig workers;
  workers.pool = config;
  workers.executable = settings.worker_executable;
  return std::make_shared<WorkerPool>(std::move(workers));
}

CallContext ReadContext(py::handle context, const PoolConfig& config) {
  CallContext read;
  if (context.is_none()) {
    return read;
  }
  read.present = true;
  // Fresh-context mode reads contexts mostly into new contexts (or the recycled one).
  read.wire = PyToWire(context, ConversionLimits(), !config.isolate.persistent_context);
  const bool may_recycle = kSideEffectFreeEvaluation && !config.isolate.persistent_context &&
                           config.isolate.cache_scripts;
  read.keys_known = may_recycle && TopLevelKeys(context, &read.keys);
  return read;
}

}  // namespace ci::bindings
