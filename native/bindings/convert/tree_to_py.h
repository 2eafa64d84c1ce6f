#ifndef CODE_INTERPRETER_BINDINGS_CONVERT_TREE_TO_PY_H_
#define CODE_INTERPRETER_BINDINGS_CONVERT_TREE_TO_PY_H_

#include <pybind11/pybind11.h>

#include <string>

#include "core/values/value_tree.h"

namespace ci::bindings {

/**
 * Builds the Python value of a ValueTree without recursion: containers are made first and
 * filled after, so shared references and cycles are preserved. Values Python cannot hold (an
 * unhashable Map key or Set member, a date out of Python's range) raise ConversionError with the
 * path. Call with the GIL held.
 */
pybind11::object TreeToPy(const ValueTree& tree);

// An aware UTC datetime for a JS time value; ConversionError naming `where` when Python
// cannot represent it (NaN, or beyond year 9999).
pybind11::object DateFromMs(double ms, const std::string& where);

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_CONVERT_TREE_TO_PY_H_
