#ifndef CODE_INTERPRETER_BINDINGS_CONVERT_PY_TO_WIRE_H_
#define CODE_INTERPRETER_BINDINGS_CONVERT_PY_TO_WIRE_H_

#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "core/values/value_tree.h"

namespace ci::bindings {

/**
 * Writes a Python value in V8's wire format (core/values/wire.h), for V8 to build natively (the
 * mirror of structured-clone rules), without recursion; shared containers and cycles become
 * references. Unsupported values raise TypeError with their path ("context['a'][2]"); too deep
 * or too large raise ConversionError. Call with the GIL held.
 *
 * `large_dicts`: dicts of kDictionaryModeKeys keys or more are written as dictionary-mode
 * objects (core/values/wire.h). For values read into new contexts: V8's own reading of a large
 * object there makes a map per key (an execution reading a 1,000-key dict into a new context: 9-13
 * ms on this 2-core VM, 3-4 ms this way); in a context that read the shape before, V8's own reading
 * follows the maps it made and is the faster.
 */
std::string PyToWire(pybind11::handle value, const ConversionLimits& limits, bool large_dicts);

/**
 * The keys of a per-call context that is a plain dict with string keys, in UTF-8: what the
 * context will offer as globals. False for anything else. Call with the GIL held.
 */
bool TopLevelKeys(pybind11::handle context, std::vector<std::string>* keys);

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_CONVERT_PY_TO_WIRE_H_
