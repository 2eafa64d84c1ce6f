#ifndef CODE_INTERPRETER_CORE_RUN_OUTCOME_H_
#define CODE_INTERPRETER_CORE_RUN_OUTCOME_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/isolate/code_ledger.h"
#include "core/realm/console.h"
#include "core/values/value_tree.h"

namespace ci {
class CancelToken;
}  // namespace ci

namespace ci {

/** One execution asked of the core. `code` must stay valid for the whole call. */
struct ExecutionRequest {
  const char* code = nullptr;  // UTF-8
  size_t code_length = 0;
  const std::string* context_wire = nullptr;  // null: no `context`; V8 wire format
  // The keys of a context that is a plain object, when known (see bindings/convert/py_to_wire.h).
  const std::vector<std::string>* context_keys = nullptr;
  double timeout_ms = 1000;
  bool raw_result = false;       // false: the result is stringified (outcome_writer.h)
  bool capture_console = true;   // false: console calls are accepted and dropped
  CancelToken* token = nullptr;  // optional: lets another thread stop this execution
  bool measure_cpu = false;      // thread CPU time costs a system call: only when asked
  bool read_heap = false;        // heap figures after the run; also sampled now and then
  // Process isolation: what the pool's other workers learned of this code for the recycled
  // path, put in the isolate's ledger before the run (null: nothing known); and whether the
  // outcome carries what the ledger knows of it after the run, for the pool to pass on.
  const CodeLedger::Knowledge* known = nullptr;
  bool report_knowledge = false;
};

/** Exactly one of these ends every execution. */
enum class OutcomeKind {
  kValue,
  kJsError,
  kTimeout,
  kMemory,
  kKilled,
  kCancelled,
  kInterrupted,  // by a host function's interrupt, which the host re-raises
  kConversionError,
  kUnsettledPromise,
  kWorkerLost,  // process isolation: the worker died or broke the channel; `detail` says how
};

struct JsErrorInfo {
  std::string name;
  std::string message;
  std::string stack;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
};

struct Outcome {
  OutcomeKind kind = OutcomeKind::kValue;
  ValueTree value;     // kValue, unless `wire` holds it
  std::string wire;    // kValue of a raw result in V8 wire format (core/values/wire.h)
  JsErrorInfo error;   // kJsError
  std::string detail;  // kConversionError: what and where; kWorkerLost: what happened
  // kJsError thrown by a host function and never caught: its HostReply::error_id.
  uint64_t host_error = 0;
  std::vector<ConsoleEntry> console;
  bool console_truncated = false;
  double wall_ms = 0;
  double cpu_ms = 0;
  uint64_t heap_used = 0;  // after the execution
  uint64_t heap_total = 0;
  uint64_t external = 0;  // ArrayBuffer memory
  // ExecutionRequest::report_knowledge: what the isolate's ledger knows of the code now.
  bool has_knowledge = false;
  CodeLedger::Knowledge knowledge;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_RUN_OUTCOME_H_
