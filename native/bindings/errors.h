#ifndef CODE_INTERPRETER_BINDINGS_ERRORS_H_
#define CODE_INTERPRETER_BINDINGS_ERRORS_H_

#include <pybind11/pybind11.h>

#include "core/run/outcome.h"

namespace ci::bindings {

/** Context for messages: the limits an execution ran under. */
struct Limits {
  double timeout_ms;
  size_t memory_limit_mb;
};

// The Python exception instance matching a failed outcome (a class of code_interpreter._errors).
// Call with the GIL held.
pybind11::object OutcomeError(const Outcome& outcome, const Limits& limits);
// Sets that exception, with `cause` (when not None) as its __cause__, and throws
// py::error_already_set.
[[noreturn]] void RaiseOutcome(const Outcome& outcome,
                               const Limits& limits,
                               const pybind11::object& cause = pybind11::none());
// Raises code_interpreter.ConversionError with `message`.
[[noreturn]] void RaiseConversionError(const std::string& message);
// Raises the code_interpreter._errors class `name` with `message`.
[[noreturn]] void RaiseError(const char* name, const std::string& message);
// A value's str() as UTF-8 for messages; lone surrogates become escapes, never an error.
std::string SafeText(pybind11::handle value);
// One step of a value's path in a message: ".name" when the key's text is an identifier,
// otherwise "[" + repr(shown) + "]".
std::string PathStep(pybind11::handle key, pybind11::handle shown);
// Raises code_interpreter.SandboxError with `message`.
[[noreturn]] void RaiseSandboxError(const std::string& message);

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_ERRORS_H_
