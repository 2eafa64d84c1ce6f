#ifndef CODE_INTERPRETER_BINDINGS_SANDBOX_BINDING_H_
#define CODE_INTERPRETER_BINDINGS_SANDBOX_BINDING_H_

#include <pybind11/pybind11.h>

namespace ci::bindings {

// Registers NativeSandbox: one IsolatePool driven from Python, the GIL released while JS runs.
void RegisterSandbox(pybind11::module_& module);

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_SANDBOX_BINDING_H_
