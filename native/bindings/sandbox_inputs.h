#ifndef CODE_INTERPRETER_BINDINGS_SANDBOX_INPUTS_H_
#define CODE_INTERPRETER_BINDINGS_SANDBOX_INPUTS_H_

#include <pybind11/pybind11.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/pool/execution_pool.h"
#include "core/pool/isolate_pool.h"

namespace ci::bindings {

// What Python hands a sandbox, checked and turned into the core's terms: the configuration it
// is made with, and the code of each call. Call with the GIL held.

/** The code of a request as UTF-8, checked: a str, valid Unicode, no NUL, bounded. */
struct CodeText {
  const char* data;
  size_t size;
};

// The UTF-8 of `code` (borrowed from the str); TypeError or ValueError when it does not pass.
CodeText ReadCode(const pybind11::handle& code);

/**
 * A sandbox's configuration as Python fills it, once, field by field (`_core.SandboxConfig`;
 * what each means: _base.py), before the native sandbox is made from it.
 */
struct SandboxConfig {
  double default_timeout_ms = 1000;
  size_t memory_limit_mb = 128;
  uint32_t max_isolates = 1;
  uint32_t keep_idle = 1;
  bool persistent_context = false;
  bool cache_scripts = true;
  double cpu_quota = 1.0;
  size_t console_max_entries = 1000;
  size_t console_max_bytes = 1 << 20;
  bool timers = false;
  bool webassembly = false;
  bool web_globals = false;  // URL, TextEncoder, crypto, ... (core/web/web_globals.h)
  uint32_t max_timers = 1000;
  std::vector<std::string> allowed_globals;
  pybind11::object custom_globals = pybind11::none();  // dict, or None
  pybind11::object modules = pybind11::none();         // ModuleStore, or None
  pybind11::object expose = pybind11::none();          // dict of name -> callable, or None
  // "thread": isolates in this process; "process": each in a worker process started from
  // `worker_executable`.
  std::string isolation = "thread";
  std::string worker_executable;
};

// The core's pool configuration of `config`; TypeError when custom globals cannot cross.
PoolConfig MakeConfig(const SandboxConfig& config);

// The pool `settings` ask for: isolates in this process, or in worker processes.
std::shared_ptr<ExecutionPool> MakePool(const SandboxConfig& settings, const PoolConfig& config);

/** A per-call context as the core takes it; its keys only where a run may be recycled. */
struct CallContext {
  bool present = false;
  std::string wire;
  bool keys_known = false;
  std::vector<std::string> keys;

  void Into(ExecutionRequest* request) const {
    request->context_wire = present ? &wire : nullptr;
    request->context_keys = keys_known ? &keys : nullptr;
  }
};

// `context` (a dict or None) for a pool configured as `config`.
CallContext ReadContext(pybind11::handle context, const PoolConfig& config);

// `_core.SandboxConfig`.
void RegisterSandboxConfig(pybind11::module_& module);

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_SANDBOX_INPUTS_H_
