#ifndef CODE_INTERPRETER_BINDINGS_QUIET_INTERPRET_H_
#define CODE_INTERPRETER_BINDINGS_QUIET_INTERPRET_H_

#include <pybind11/pybind11.h>

namespace ci::bindings {

/**
 * `Sandbox.interpret` without a Python frame when there is nothing to check or report.
 *
 * `QuietPath(native, approved)` is a sandbox's state for it: its NativeSandbox, the set of code
 * texts its scanner passed, and `quiet` (no listeners, logging or rate limit), which the
 * sandbox keeps current. `interpret_method(checked)` is a method descriptor, called like a
 * Python method without a bound-method object. A call with the code, a context (by position or
 * keyword) and `return_raw_result` at most, on a quiet sandbox, with code already approved,
 * goes straight to the native evaluation; every other call goes to `checked(self, ...)`, the
 * Python method that scans, admits and reports.
 */
void RegisterQuietInterpret(pybind11::module_& module);

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_QUIET_INTERPRET_H_
