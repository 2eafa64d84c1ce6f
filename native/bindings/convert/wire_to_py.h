#ifndef CODE_INTERPRETER_BINDINGS_CONVERT_WIRE_TO_PY_H_
#define CODE_INTERPRETER_BINDINGS_CONVERT_WIRE_TO_PY_H_

#include <pybind11/pybind11.h>

#include <string>

#include "core/values/value_tree.h"

namespace ci::bindings {

/**
 * Reads a value V8 serialized (core/values/wire.h) straight into Python objects, by the same
 * mapping as TreeToPy, without recursion; shared references and cycles come out as such. Too many
 * values, or values Python cannot hold, raise ConversionError naming the path from `root_name`
 * ("result.a[3]"). Call with the GIL held.
 */
pybind11::object WireToPy(const std::string& wire,
                          const ConversionLimits& limits,
                          const char* root_name = "result");

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_CONVERT_WIRE_TO_PY_H_
