#ifndef CODE_INTERPRETER_BINDINGS_SANDBOX_BINDING_H_
#define CODE_INTERPRETER_BINDINGS_SANDBOX_BINDING_H_

#include <pybind11/pybind11.h>

namespace ci::bindings {

// Registers NativeSandbox: one IsolatePool driven from Python, the GIL released while JS runs.
void RegisterSandbox(pybind11::module_& module);

// For the quiet path (quiet_interpret.h): the NativeSandbox behind `native` (a cast error if
// it is none), and its hot path, which evaluates `code` under the sandbox's own timeout and
// returns a new reference, or null with a Python exception set.
void* NativeSandboxOf(pybind11::handle native);
PyObject* EvaluateQuietly(void* sandbox, PyObject* code, PyObject* context, bool raw);

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_SANDBOX_BINDING_H_
