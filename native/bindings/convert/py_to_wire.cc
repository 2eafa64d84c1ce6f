#include "bindings/convert/py_to_wire.h"

#include <datetime.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "bindings/convert/object_ids.h"
#include "bindings/convert/wire_buffer.h"
#include "bindings/errors.h"
#include "core/values/wire.h"

namespace py = pybind11;

namespace ci::bindings {
namespace {

// Version 13 of the format: the oldest with everything written here; V8 reads older versions.
constexpr uint8_t kVersion = 13;

int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

/** A container being written: the object, how far its members are written, and its kind. */
struct Frame {
  PyObject* object;
  char kind;                        // 'A' list/tuple, 'o' dict, 'h' large dict, '\'' set
  uint32_t id = 0;                  // the object id readers give it
  Py_ssize_t position = 0;          // list index, or PyDict_Next position
  Py_ssize_t count = 0;             // members written
  Py_ssize_t declared = 0;          // large dicts: the count written before the members
  py::object iterator;              // sets
  PyObject* current_key = nullptr;  // dicts: for paths
};

// A large dict refers to itself: V8 registers an object read by a delegate only once it is
// complete, so this conversion is written again with plain objects only.
struct SelfReferenceInLargeDict {};

class Writer {
 public:
  Writer(const ConversionLimits& limits, bool large_dicts)
      : limits_(limits), large_dicts_(large_dicts) {
    PyDateTime_IMPORT;
  }

  std::string Run(py::handle root) {
    out_.Put(static_cast<char>(0xFF));
    out_.Put(static_cast<char>(kVersion));
    Value(root.ptr());
    while (!frames_.empty()) {
      Step();
    }
    return out_.Release();
  }

 private:
  void Varint(uint64_t value) {
    do {
      uint8_t byte = value & 0x7F;
      value >>= 7;
      out_.Put(static_cast<char>(value ? byte | 0x80 : byte));
    } while (value);
  }

  void Double(double value) {
    char bytes[sizeof(double)];
    std::memcpy(bytes, &value, sizeof(value));
    out_.Append(bytes, sizeof(bytes));
  }

  std::string Path() const {
    std::string path = "context";
    for (const Frame& frame : frames_) {
      if (frame.kind == 'A') {
        path += "[" + std::to_string(frame.position - 1) + "]";
      } else if ((frame.kind == 'o' || frame.kind == 'h') && frame.current_key != nullptr) {
        py::handle key(frame.current_key);
        path += PathStep(key, py::str(SafeText(key)));
      } else if (frame.kind == '\'') {
        path += "{member}";
      }
    }
    return path;
  }

  [[noreturn]] void Unsupported(const std::string& what) {
    throw py::type_error("cannot pass " + what + " to JavaScript at " + Path());
  }

  void Count() {
    if (++values_ > limits_.max_nodes) {
      RaiseConversionError("context has more than " + std::to_string(limits_.max_nodes) +
                           " values at " + Path());
    }
    if (out_.size() > limits_.max_bytes) {
      RaiseConversionError("context larger than " + std::to_string(limits_.max_bytes >> 20) +
                           " MB at " + Path());
    }
  }

  void String(PyObject* text) {
    const Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    const int kind = PyUnicode_KIND(text);
    const void* data = PyUnicode_DATA(text);
    if (kind == PyUnicode_1BYTE_KIND) {
      out_.Put('"');
      Varint(static_cast<uint64_t>(length));
      out_.Append(static_cast<const char*>(data), static_cast<size_t>(length));
      return;
    }
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
    out_.Put('c');
    Varint(units.size() * 2);
    out_.Append(reinterpret_cast<const char*>(units.data()), units.size() * 2);
  }

  void BigInt(PyObject* number) {
    py::handle value(number);
    bool negative = PyObject_RichCompareBool(number, py::int_(0).ptr(), Py_LT) == 1;
    py::object magnitude = negative ? py::reinterpret_steal<py::object>(PyNumber_Absolute(number))
                                    : py::reinterpret_borrow<py::object>(value);
    size_t bits = magnitude.attr("bit_length")().cast<size_t>();
    size_t bytes = (bits + 63) / 64 * 8;
    std::string digits = magnitude.attr("to_bytes")(bytes, "little").cast<std::string>();
    out_.Put('Z');
    Varint((bytes << 1) | (negative ? 1 : 0));
    out_.Append(digits);
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

  // Writes a value, or opens a container frame for Step() to fill.
  void Value(PyObject* object) {
    Count();
    if (object == Py_None) {
      out_.Put('0');
    } else if (object == Py_True || object == Py_False) {
      out_.Put(object == Py_True ? 'T' : 'F');
    } else if (PyLong_Check(object)) {
      int overflow = 0;
      long long number = PyLong_AsLongLongAndOverflow(object, &overflow);
      if (overflow == 0 && number >= INT32_MIN && number <= INT32_MAX) {
        out_.Put('I');
        Varint((static_cast<uint64_t>(number) << 1) ^ static_cast<uint64_t>(number >> 63));
      } else if (overflow == 0 && number >= -kMaxSafeInteger && number <= kMaxSafeInteger) {
        out_.Put('N');
        Double(static_cast<double>(number));
      } else {
        BigInt(object);
      }
    } else if (PyFloat_Check(object)) {
      out_.Put('N');
      Double(PyFloat_AS_DOUBLE(object));
    } else if (PyUnicode_Check(object)) {
      String(object);
    } else if (PyList_Check(object) || PyTuple_Check(object) || PyDict_Check(object) ||
               PyAnySet_Check(object)) {
      Open(object);
    } else if (PyBytes_Check(object) || PyByteArray_Check(object) || PyMemoryView_Check(object)) {
      Py_buffer view;
      if (PyObject_GetBuffer(object, &view, PyBUF_CONTIG_RO) != 0) {
        PyErr_Clear();
        Unsupported("a non-contiguous buffer");
      }
      // An ArrayBuffer and a Uint8Array over all of it: two objects.
      out_.Put('B');
      Varint(static_cast<uint64_t>(view.len));
      out_.Append(static_cast<const char*>(view.buf), static_cast<size_t>(view.len));
      out_.Put('V');
      out_.Put('B');
      Varint(0);
      Varint(static_cast<uint64_t>(view.len));
      PyBuffer_Release(&view);
      next_id_ += 2;
    } else if (PyDateTime_Check(object)) {
      out_.Put('D');
      Double(DateMilliseconds(object));
      next_id_++;
    } else {
      Unsupported(std::string("a value of type ") + Py_TYPE(object)->tp_name);
    }
  }

  void Open(PyObject* object) {
    uint32_t id = next_id_;
    if (!ids_.Insert(object, &id)) {
      if (large_dicts_ && std::any_of(frames_.begin(), frames_.end(), [&](const Frame& open) {
            return open.kind == 'h' && open.id == id;
          })) {
        throw SelfReferenceInLargeDict();
      }
      out_.Put('^');
      Varint(id);
      return;
    }
    next_id_++;
    if (frames_.size() >= limits_.max_depth) {
      RaiseConversionError("context nested more than " + std::to_string(limits_.max_depth) +
                           " levels at " + Path());
    }
    Frame frame;
    frame.object = object;
    frame.id = next_id_ - 1;
    if (PyList_Check(object) || PyTuple_Check(object)) {
      frame.kind = 'A';
      out_.Put('A');
      Varint(static_cast<uint64_t>(PySequence_Fast_GET_SIZE(object)));
    } else if (PyDict_Check(object) && large_dicts_ &&
               static_cast<size_t>(PyDict_GET_SIZE(object)) >= kDictionaryModeKeys) {
      frame.kind = 'h';  // core/values/wire.h
      out_.Put('\\');
      frame.declared = PyDict_GET_SIZE(object);
      Varint(static_cast<uint64_t>(frame.declared));
    } else if (PyDict_Check(object)) {
      frame.kind = 'o';
      out_.Put('o');
    } else {
      frame.kind = '\'';
      out_.Put('\'');
      frame.iterator = py::reinterpret_steal<py::object>(PyObject_GetIter(object));
      if (!frame.iterator) {
        throw py::error_already_set();
      }
    }
    frames_.push_back(std::move(frame));
  }

  // Writes the next member of the innermost container, or closes it.
  void Step() {
    Frame& frame = frames_.back();
    switch (frame.kind) {
      case 'A': {
        Py_ssize_t size = PySequence_Fast_GET_SIZE(frame.object);
        if (frame.position < size) {
          PyObject* item = PySequence_Fast_ITEMS(frame.object)[frame.position++];
          frame.count++;
          Value(item);  // may push a frame: `frame` is not used after this
          return;
        }
        out_.Put('$');
        Varint(0);
        Varint(static_cast<uint64_t>(size));
        break;
      }
      case 'o':
      case 'h': {
        PyObject* key;
        PyObject* value;
        if (PyDict_Next(frame.object, &frame.position, &key, &value)) {
          frame.current_key = nullptr;  // a bad key is reported at the dict's own path
          frame.count++;
          if (PyUnicode_Check(key)) {
            String(key);
          } else if (PyLong_Check(key) && !PyBool_Check(key)) {
            py::str text = py::str(py::handle(key));
            String(text.ptr());
          } else {
            Unsupported(std::string("a dict key of type ") + Py_TYPE(key)->tp_name +
                        " (keys must be str or int)");
          }
          frame.current_key = key;
          Value(value);
          return;
        }
        if (frame.kind == 'o') {
          out_.Put('{');
          Varint(static_cast<uint64_t>(frame.count));
        } else if (frame.count != frame.declared) {
          RaiseConversionError("a dict changed size while it was converted, at " + Path());
        }
        break;
      }
      default: {
        PyObject* member = PyIter_Next(frame.iterator.ptr());
        if (member != nullptr) {
          py::object hold = py::reinterpret_steal<py::object>(member);
          frame.count++;
          keep_.push_back(hold);
          Value(member);
          return;
        }
        if (PyErr_Occurred()) {
          throw py::error_already_set();
        }
        out_.Put(',');
        Varint(static_cast<uint64_t>(frame.count));
        break;
      }
    }
    frames_.pop_back();
  }

  const ConversionLimits& limits_;
  WireBuffer out_;
  std::vector<Frame> frames_;
  ObjectIds ids_;
  std::vector<py::object> keep_;
  uint32_t next_id_ = 0;
  uint64_t values_ = 0;
  const bool large_dicts_;
};

}  // namespace

std::string PyToWire(py::handle value, const ConversionLimits& limits, bool large_dicts) {
  try {
    return Writer(limits, large_dicts).Run(value);
  } catch (const SelfReferenceInLargeDict&) {
    return Writer(limits, /*large_dicts=*/false).Run(value);
  }
}

bool TopLevelKeys(pybind11::handle context, std::vector<std::string>* keys) {
  if (!PyDict_CheckExact(context.ptr())) {
    return false;
  }
  PyObject* key;
  PyObject* value;
  Py_ssize_t position = 0;
  while (PyDict_Next(context.ptr(), &position, &key, &value)) {
    Py_ssize_t size;
    const char* text = PyUnicode_Check(key) ? PyUnicode_AsUTF8AndSize(key, &size) : nullptr;
    if (text == nullptr) {
      PyErr_Clear();  // a lone surrogate: PyToWire reports such keys itself
      return false;
    }
    keys->emplace_back(text, static_cast<size_t>(size));
  }
  return true;
}

}  // namespace ci::bindings
