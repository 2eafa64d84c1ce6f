#ifndef CODE_INTERPRETER_BINDINGS_HOST_BINDING_H_
#define CODE_INTERPRETER_BINDINGS_HOST_BINDING_H_

#include <pybind11/pybind11.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/host/host_functions.h"

namespace ci::bindings {

/** What host calls of one execution left: exceptions, and futures of calls answered later. */
struct HostCallRecord {
  // The latest exceptions, by their process-wide error id (HostReply::error_id).
  std::deque<std::pair<uint64_t, pybind11::object>> errors;
  // Futures of `async def` calls still running, by an id of the record's own.
  std::unordered_map<uint64_t, pybind11::object> pending;
  uint64_t last_pending_id = 0;
  // The first KeyboardInterrupt or SystemExit a host function raised: it ended the execution,
  // and the caller re-raises it. None otherwise.
  pybind11::object interrupt = pybind11::none();
};

/**
 * Keeps the Python exceptions that host functions raised during one execution on this thread
 * (the thread that runs the execution runs its host calls), so an uncaught one can become the
 * JavaScriptError's __cause__; and cancels, when it ends, the calls of `async def` functions
 * still running. Scopes nest, for a host function that uses another sandbox. Make and drop
 * with the GIL held.
 */
class HostErrorScope {
 public:
  // Does nothing (no allocation on the execution's path) when the sandbox has no `host`.
  explicit HostErrorScope(const HostFunctions* host);
  ~HostErrorScope();
  HostErrorScope(const HostErrorScope&) = delete;
  HostErrorScope& operator=(const HostErrorScope&) = delete;
  // The exception `error_id` names (Outcome::host_error), or None.
  pybind11::object Take(uint64_t error_id);
  // The interrupt that ended the execution (HostCallRecord::interrupt), or None; taken once.
  pybind11::object TakeInterrupt();

 private:
  std::shared_ptr<HostCallRecord> record_;
  std::shared_ptr<HostCallRecord>* outer_;
};

// The host functions of a sandbox: `callables` by `names`, in order.
std::shared_ptr<HostFunctions> MakeHostFunctions(std::vector<std::string> names,
                                                 pybind11::list callables);

// Whether this thread is inside a call of `host` (a re-entrant call on the same sandbox).
bool InHostCallOf(const HostFunctions* host);

// `_core.host_interrupt_fd()` and `_core.interrupt_host_call(token)`: the pipe a Python thread
// reads stop requests from, and what it calls with each (see host_binding.cc).
void RegisterHostFunctions(pybind11::module_& module);

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_HOST_BINDING_H_
