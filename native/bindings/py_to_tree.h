#ifndef CODE_INTERPRETER_BINDINGS_PY_TO_TREE_H_
#define CODE_INTERPRETER_BINDINGS_PY_TO_TREE_H_

#include <pybind11/pybind11.h>

#include "core/value_tree.h"

namespace ci::bindings {

/**
 * Reads a Python value into a ValueTree (the mirror of structured-clone rules), iteratively,
 * preserving shared containers and cycles. Unsupported values raise TypeError naming their path
 * ("context['a'][2]"); too deep or too large raise ConversionError. Call with the GIL held.
 */
ValueTree PyToTree(pybind11::handle value, const ConversionLimits& limits);

// Prepares the datetime C API; call once at module import.
void InitPyToTree();

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_PY_TO_TREE_H_
