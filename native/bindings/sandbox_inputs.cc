#include "bindings/sandbox_inputs.h"

#include <cstring>
#include <memory>
#include <utility>

#include "bindings/host_binding.h"
#include "bindings/module_store_binding.h"
#include "bindings/py_to_wire.h"

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
                      py::handle custom_globals,
                      py::handle modules,
                      py::handle expose) {
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
    isolate.profile.custom_globals = std::make_shared<const std::string>(
        PyToWire(custom_globals, ConversionLimits(), /*large_dicts=*/!persistent_context));
  }
  if (!modules.is_none()) {
    isolate.profile.modules = modules.cast<const PyModuleStore&>().store;
  }
  if (!expose.is_none()) {
    std::vector<std::string> names;
    py::list callables;
    for (auto item : expose.cast<py::dict>()) {
      names.push_back(item.first.cast<std::string>());
      callables.append(item.second);
    }
    isolate.profile.host = MakeHostFunctions(std::move(names), std::move(callables));
  }
  return config;
}

}  // namespace ci::bindings
