#ifndef CODE_INTERPRETER_BINDINGS_SANDBOX_INPUTS_H_
#define CODE_INTERPRETER_BINDINGS_SANDBOX_INPUTS_H_

#include <pybind11/pybind11.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

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

// The pool configuration of NativeSandbox's constructor arguments (see _base.py for each).
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
                      pybind11::handle custom_globals,
                      pybind11::handle modules,
                      pybind11::handle expose);

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_SANDBOX_INPUTS_H_
