#include "bindings/convert/tree_to_py.h"

#include <cmath>
#include <string>
#include <vector>

#include "bindings/errors.h"

namespace py = pybind11;

namespace ci::bindings {
namespace {

py::object StringOf(const ValueNode& node) {
  PyObject* text;
  if (node.one_byte) {
    text = PyUnicode_DecodeLatin1(node.text.data(), static_cast<Py_ssize_t>(node.text.size()),
                                  nullptr);
  } else {
    int byte_order = -1;  // little endian
    text = PyUnicode_DecodeUTF16(node.text.data(), static_cast<Py_ssize_t>(node.text.size()),
                                 "surrogatepass", &byte_order);
  }
  if (text == nullptr) {
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::object>(text);
}

py::object DateOf(const ValueTree& tree, uint32_t index) {
  return DateFromMs(tree.nodes[index].number, tree.PathOf(index, "result"));
}

py::object ScalarOf(const ValueTree& tree, uint32_t index) {
  const ValueNode& node = tree.nodes[index];
  switch (node.kind) {
    case ValueKind::kUndefined:
    case ValueKind::kNull:
      return py::none();
    case ValueKind::kFalse:
      return py::bool_(false);
    case ValueKind::kTrue:
      return py::bool_(true);
    case ValueKind::kInt:
      return py::reinterpret_steal<py::object>(PyLong_FromLongLong(node.integer));
    case ValueKind::kDouble:
      return py::reinterpret_steal<py::object>(PyFloat_FromDouble(node.number));
    case ValueKind::kBigInt: {
      py::object magnitude =
          py::reinterpret_steal<py::object>(PyLong_FromString(node.text.c_str(), nullptr, 16));
      if (!magnitude) {
        throw py::error_already_set();
      }
      return node.integer ? py::reinterpret_steal<py::object>(PyNumber_Negative(magnitude.ptr()))
                          : magnitude;
    }
    case ValueKind::kString:
      return StringOf(node);
    case ValueKind::kDate:
      return DateOf(tree, index);
    case ValueKind::kBytes:
      return py::bytes(node.text);
    case ValueKind::kArray:
      return py::reinterpret_steal<py::object>(PyList_New(node.child_count));
    case ValueKind::kObject:
    case ValueKind::kMap:
      return py::dict();
    case ValueKind::kSet:
      return py::reinterpret_steal<py::object>(PySet_New(nullptr));
    case ValueKind::kRef:
      break;
  }
  return py::object();
}

}  // namespace

py::object DateFromMs(double ms, const std::string& where) {
  if (std::isnan(ms)) {
    RaiseConversionError("cannot convert an invalid Date at " + where);
  }
  static py::object* epoch = nullptr;
  static py::object* timedelta = nullptr;
  if (epoch == nullptr) {
    py::module_ datetime = py::module_::import("datetime");
    py::object utc = datetime.attr("timezone").attr("utc");
    epoch = new py::object(datetime.attr("datetime")(1970, 1, 1, py::arg("tzinfo") = utc));
    timedelta = new py::object(datetime.attr("timedelta"));
  }
  try {
    return *epoch + (*timedelta)(py::arg("milliseconds") = ms);
  } catch (py::error_already_set&) {
    RaiseConversionError("Date outside the range Python can represent at " + where);
  }
}

py::object TreeToPy(const ValueTree& tree) {
  const std::vector<ValueNode>& nodes = tree.nodes;
  if (nodes.empty()) {
    return py::none();
  }
  if (nodes.size() == 1) {
    return ScalarOf(tree, 0);
  }
  std::vector<py::object> objects(nodes.size());
  for (uint32_t i = 0; i < nodes.size(); ++i) {
    objects[i] = ScalarOf(tree, i);
  }
  auto resolve = [&](uint32_t index) -> PyObject* {
    const ValueNode& node = nodes[index];
    return (node.kind == ValueKind::kRef ? objects[static_cast<size_t>(node.integer)]
                                         : objects[index])
        .ptr();
  };
  for (uint32_t i = 0; i < nodes.size(); ++i) {
    const ValueNode& node = nodes[i];
    const uint32_t first = node.first_child;
    PyObject* container = objects[i].ptr();
    switch (node.kind) {
      case ValueKind::kArray:
        for (uint32_t k = 0; k < node.child_count; ++k) {
          PyObject* item = resolve(first + k);
          Py_INCREF(item);
          PyList_SET_ITEM(container, k, item);
        }
        break;
      case ValueKind::kObject:
      case ValueKind::kMap:
        for (uint32_t k = 0; k + 1 < node.child_count; k += 2) {
          if (PyDict_SetItem(container, resolve(first + k), resolve(first + k + 1)) != 0) {
            PyErr_Clear();
            RaiseConversionError("cannot use this value as a dict key (unhashable) at " +
                                 tree.PathOf(first + k, "result"));
          }
        }
        break;
      case ValueKind::kSet:
        for (uint32_t k = 0; k < node.child_count; ++k) {
          if (PySet_Add(container, resolve(first + k)) != 0) {
            PyErr_Clear();
            RaiseConversionError("cannot put this value in a set (unhashable) at " +
                                 tree.PathOf(first + k, "result"));
          }
        }
        break;
      default:
        break;
    }
  }
  return objects[0];
}

}  // namespace ci::bindings
