#include "bindings/py_to_tree.h"

#include <datetime.h>

#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include "bindings/errors.h"

namespace py = pybind11;

namespace ci::bindings {
namespace {

constexpr long long kMaxSafeInteger = 9007199254740992LL;  // 2^53

struct Pending {
  uint32_t index;
  PyObject* object;
  uint32_t depth;
};

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

void SetString(PyObject* text, ValueNode* node) {
  const Py_ssize_t length = PyUnicode_GET_LENGTH(text);
  const int kind = PyUnicode_KIND(text);
  const void* data = PyUnicode_DATA(text);
  node->kind = ValueKind::kString;
  if (kind == PyUnicode_1BYTE_KIND) {
    node->one_byte = true;
    node->text.assign(static_cast<const char*>(data), static_cast<size_t>(length));
    return;
  }
  node->one_byte = false;
  std::u16string units;
  units.reserve(static_cast<size_t>(length));
  for (Py_ssize_t i = 0; i < length; ++i) {
    Py_UCS4 code_point = PyUnicode_READ(kind, data, i);
    if (code_point >= 0x10000) {
      code_point -= 0x10000;
      units.push_back(static_cast<char16_t>(0xD800 + (code_point >> 10)));
      units.push_back(static_cast<char16_t>(0xDC00 + (code_point & 0x3FF)));
    } else {
      units.push_back(static_cast<char16_t>(code_point));
    }
  }
  node->text.assign(reinterpret_cast<const char*>(units.data()), units.size() * 2);
}

class Reader {
 public:
  explicit Reader(const ConversionLimits& limits) : limits_(limits) {}

  ValueTree Run(py::handle root) {
    tree_.nodes.emplace_back();
    stack_.push_back({0, root.ptr(), 0});
    while (!stack_.empty()) {
      Pending item = stack_.back();
      stack_.pop_back();
      Visit(item);
    }
    return std::move(tree_);
  }

 private:
  [[noreturn]] void Unsupported(const Pending& item, const std::string& what) {
    throw py::type_error("cannot pass " + what + " to JavaScript at " +
                         tree_.PathOf(item.index, "context"));
  }

  [[noreturn]] void TooLarge(const Pending& item, const std::string& what) {
    RaiseConversionError(what + " at " + tree_.PathOf(item.index, "context"));
  }

  void Account(const Pending& item, size_t bytes) {
    bytes_ += bytes;
    if (bytes_ > limits_.max_bytes) {
      TooLarge(item, "context larger than " + std::to_string(limits_.max_bytes >> 20) + " MB");
    }
  }

  void Visit(const Pending& item) {
    PyObject* object = item.object;
    ValueNode& node = tree_.nodes[item.index];
    if (object == Py_None) {
      node.kind = ValueKind::kNull;
    } else if (object == Py_True || object == Py_False) {
      node.kind = object == Py_True ? ValueKind::kTrue : ValueKind::kFalse;
    } else if (PyLong_Check(object)) {
      int overflow = 0;
      long long number = PyLong_AsLongLongAndOverflow(object, &overflow);
      if (overflow == 0 && number >= -kMaxSafeInteger && number <= kMaxSafeInteger) {
        node.kind = ValueKind::kInt;
        node.integer = number;
      } else {
        py::str hex = py::reinterpret_steal<py::str>(PyNumber_ToBase(object, 16));
        std::string digits = hex;  // "0x1f" or "-0x1f"
        bool negative = digits[0] == '-';
        node.kind = ValueKind::kBigInt;
        node.integer = negative ? 1 : 0;
        node.text = digits.substr(negative ? 3 : 2);
      }
    } else if (PyFloat_Check(object)) {
      node.kind = ValueKind::kDouble;
      node.number = PyFloat_AS_DOUBLE(object);
    } else if (PyUnicode_Check(object)) {
      SetString(object, &node);
      Account(item, node.text.size());
    } else if (PyBytes_Check(object) || PyByteArray_Check(object) || PyMemoryView_Check(object)) {
      Py_buffer view;
      if (PyObject_GetBuffer(object, &view, PyBUF_CONTIG_RO) != 0) {
        PyErr_Clear();
        Unsupported(item, "a non-contiguous buffer");
      }
      node.kind = ValueKind::kBytes;
      node.text.assign(static_cast<const char*>(view.buf), static_cast<size_t>(view.len));
      PyBuffer_Release(&view);
      Account(item, node.text.size());
    } else if (PyDateTime_Check(object)) {
      node.kind = ValueKind::kDate;
      node.number = DateMilliseconds(object);
    } else if (PyList_Check(object) || PyTuple_Check(object) || PyDict_Check(object) ||
               PyAnySet_Check(object)) {
      VisitContainer(item);
    } else {
      Unsupported(item, std::string("a value of type ") + Py_TYPE(object)->tp_name);
    }
  }

  static double DateMilliseconds(PyObject* object) {
    py::handle value(object);
    if (!value.attr("tzinfo").is_none()) {
      return std::floor(value.attr("timestamp")().cast<double>() * 1000.0 + 0.5);
    }
    // A naive datetime is read as UTC.
    int64_t days = DaysFromCivil(PyDateTime_GET_YEAR(object), PyDateTime_GET_MONTH(object),
                                 PyDateTime_GET_DAY(object));
    int64_t ms = days * 86400000LL + PyDateTime_DATE_GET_HOUR(object) * 3600000LL +
                 PyDateTime_DATE_GET_MINUTE(object) * 60000LL +
                 PyDateTime_DATE_GET_SECOND(object) * 1000LL +
                 PyDateTime_DATE_GET_MICROSECOND(object) / 1000;
    return static_cast<double>(ms);
  }

  void VisitContainer(const Pending& item) {
    PyObject* object = item.object;
    auto [seen, inserted] = seen_.emplace(object, item.index);
    if (!inserted) {
      tree_.nodes[item.index].kind = ValueKind::kRef;
      tree_.nodes[item.index].integer = seen->second;
      return;
    }
    if (item.depth >= limits_.max_depth) {
      TooLarge(item, "context nested more than " + std::to_string(limits_.max_depth) + " levels");
    }
    children_.clear();
    ValueKind kind;
    if (PyList_Check(object) || PyTuple_Check(object)) {
      kind = ValueKind::kArray;
      Py_ssize_t size = PySequence_Fast_GET_SIZE(object);
      PyObject** items = PySequence_Fast_ITEMS(object);
      children_.assign(items, items + size);
    } else if (PyDict_Check(object)) {
      kind = ValueKind::kObject;
      Py_ssize_t position = 0;
      PyObject* key;
      PyObject* value;
      while (PyDict_Next(object, &position, &key, &value)) {
        if (!PyUnicode_Check(key)) {
          if (!PyLong_Check(key) || PyBool_Check(key)) {
            Unsupported(item, std::string("a dict key of type ") + Py_TYPE(key)->tp_name +
                                  " (keys must be str or int)");
          }
          key = KeepAlive(PyObject_Str(key));
        }
        children_.push_back(key);
        children_.push_back(value);
      }
    } else {
      kind = ValueKind::kSet;
      for (py::handle member : py::handle(object)) {
        children_.push_back(member.ptr());
      }
    }
    auto first = static_cast<uint64_t>(tree_.nodes.size());
    if (first + children_.size() > limits_.max_nodes) {
      TooLarge(item, "context has more than " + std::to_string(limits_.max_nodes) + " values");
    }
    tree_.nodes.resize(first + children_.size());
    ValueNode& parent = tree_.nodes[item.index];
    parent.kind = kind;
    parent.first_child = static_cast<uint32_t>(first);
    parent.child_count = static_cast<uint32_t>(children_.size());
    for (size_t k = children_.size(); k-- > 0;) {
      auto index = static_cast<uint32_t>(first + k);
      tree_.nodes[index].parent = item.index;
      stack_.push_back({index, children_[k], item.depth + 1});
    }
  }

  // Holds a new reference until the conversion ends.
  PyObject* KeepAlive(PyObject* object) {
    if (object == nullptr) {
      throw py::error_already_set();
    }
    temporaries_.push_back(py::reinterpret_steal<py::object>(object));
    return object;
  }

  const ConversionLimits& limits_;
  ValueTree tree_;
  std::vector<Pending> stack_;
  std::vector<PyObject*> children_;
  std::unordered_map<PyObject*, uint32_t> seen_;
  std::vector<py::object> temporaries_;
  uint64_t bytes_ = 0;
};

}  // namespace

void InitPyToTree() {
  PyDateTime_IMPORT;
}

ValueTree PyToTree(py::handle value, const ConversionLimits& limits) {
  return Reader(limits).Run(value);
}

}  // namespace ci::bindings
