#include "bindings/convert/wire_to_py.h"

#include <cmath>
#include <vector>

#include "bindings/convert/cyclic_gc_pause.h"
#include "bindings/convert/short_strings.h"
#include "bindings/convert/tree_to_py.h"
#include "bindings/convert/wire_cursor.h"
#include "bindings/errors.h"

namespace py = pybind11;

namespace ci::bindings {
namespace {

/** One container being filled: what it is, and where its next member goes. */
struct Frame {
  char kind;  // 'o' object, 'A' dense array, 'a' sparse array, ';' Map, '\'' Set
  py::object container;
  Py_ssize_t index = 0;   // dense arrays: next element
  Py_ssize_t length = 0;  // arrays: length
  py::object key;         // objects, maps, sparse arrays: the key awaiting its value
  bool have_key = false;
};

class Reader {
 public:
  Reader(const std::string& wire, const ConversionLimits& limits, const char* root_name)
      : in_(wire), limits_(limits), root_name_(root_name) {}

  py::object Run() {
    if (in_.Byte() != 0xFF) {
      FailToRead("missing header");
    }
    version_ = static_cast<uint32_t>(in_.Varint());
    for (;;) {
      py::object value;
      if (ReadToken(&value) ? Attach(std::move(value)) : finished_) {
        return std::move(root_);
      }
    }
  }

 private:
  // "result.a[3]": where the value being read sits.
  std::string Path() const {
    std::string path = root_name_;
    for (const Frame& frame : frames_) {
      if (frame.kind == 'A') {
        path += "[" + std::to_string(frame.index) + "]";
      } else if (frame.kind == '\'') {
        path += "{member}";
      } else if (frame.have_key) {
        path += PathStep(frame.key, frame.key);
      }
    }
    return path;
  }

  void Count(uint64_t values) {
    values_ += values;
    if (values_ > limits_.max_nodes) {
      RaiseConversionError("more than " + std::to_string(limits_.max_nodes) + " values at " +
                           Path());
    }
  }

  py::object Number(double value) {
    if (std::trunc(value) == value && std::fabs(value) <= kMaxSafeInteger &&
        !(value == 0 && std::signbit(value))) {
      return py::reinterpret_steal<py::object>(PyLong_FromLongLong(static_cast<long long>(value)));
    }
    return py::reinterpret_steal<py::object>(PyFloat_FromDouble(value));
  }

  py::object String(uint8_t tag) {
    size_t size = in_.Varint();
    const char* bytes = in_.Take(size);
    PyObject* text;
    if (tag == '"' && size <= ShortStrings::kMaxLength) {
      text = short_strings_.Get(bytes, size);
      if (text == nullptr) {
        throw py::error_already_set();
      }
      return py::reinterpret_steal<py::object>(text);
    }
    if (tag == '"') {
      text = PyUnicode_DecodeLatin1(bytes, static_cast<Py_ssize_t>(size), nullptr);
    } else if (tag == 'c') {
      int byte_order = -1;
      text =
          PyUnicode_DecodeUTF16(bytes, static_cast<Py_ssize_t>(size), "surrogatepass", &byte_order);
    } else {
      text = PyUnicode_DecodeUTF8(bytes, static_cast<Py_ssize_t>(size), "surrogatepass");
    }
    if (text == nullptr) {
      throw py::error_already_set();
    }
    bytes_ += size;
    if (bytes_ > limits_.max_bytes) {
      RaiseConversionError("larger than " + std::to_string(limits_.max_bytes >> 20) + " MB at " +
                           Path());
    }
    return py::reinterpret_steal<py::object>(text);
  }

  py::object TaggedString() {
    uint8_t tag = in_.Tag();
    if (tag != '"' && tag != 'c' && tag != 'S') {
      FailToRead("expected a string");
    }
    return String(tag);
  }

  py::object BigInt() {
    uint64_t bitfield = in_.Varint();
    size_t size = bitfield >> 1;
    const char* digits = in_.Take(size);
    py::object magnitude =
        py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(&PyLong_Type))
            .attr("from_bytes")(py::bytes(digits, size), "little");
    return (bitfield & 1) ? py::reinterpret_steal<py::object>(PyNumber_Negative(magnitude.ptr()))
                          : magnitude;
  }

  py::object Remember(py::object value) {
    objects_.push_back(value);
    return value;
  }

  // Reads one token. Returns true with `value` set for a complete value; false when a
  // container was opened or closed (a closed one is attached by this call).
  bool ReadToken(py::object* value) {
    uint8_t tag = in_.Tag();
    switch (tag) {
      case '_':
      case '0':
      case '-':  // a hole
        *value = py::none();
        return true;
      case 'T':
        *value = py::bool_(true);
        return true;
      case 'F':
        *value = py::bool_(false);
        return true;
      case 'I': {
        uint64_t zigzag = in_.Varint();
        auto number = static_cast<int64_t>((zigzag >> 1) ^ (~(zigzag & 1) + 1));
        *value = py::reinterpret_steal<py::object>(PyLong_FromLongLong(number));
        return true;
      }
      case 'U':
        *value = py::reinterpret_steal<py::object>(PyLong_FromUnsignedLongLong(in_.Varint()));
        return true;
      case 'N':
        *value = Number(in_.Double());
        return true;
      case 'Z':
        *value = BigInt();
        return true;
      case '"':
      case 'c':
      case 'S':
        *value = String(tag);
        return true;
      case '?':
        in_.Varint();  // an object count, for checks V8 no longer makes
        return false;
      case '^': {
        uint64_t id = in_.Varint();
        if (id >= objects_.size()) {
          FailToRead("bad reference");
        }
        *value = objects_[id];
        return true;
      }
      case 'D':
        *value = Remember(DateFromMs(in_.Double(), Path()));
        return true;
      case 'y':
      case 'x':
        *value = Remember(py::bool_(tag == 'y'));
        return true;
      case 'n':
        *value = Remember(Number(in_.Double()));
        return true;
      case 'z':
        *value = Remember(BigInt());
        return true;
      case 's':
        *value = Remember(TaggedString());
        return true;
      case 'R': {
        size_t id = objects_.size();
        objects_.emplace_back();
        py::str pattern = TaggedString();
        uint64_t flags = in_.Varint();
        std::string text = "/" + std::string(pattern) + "/";
        // Flag bits, written in JavaScript's canonical order.
        const std::pair<uint64_t, char> kFlags[] = {{128, 'd'}, {1, 'g'},  {2, 'i'}, {4, 'm'},
                                                    {32, 's'},  {16, 'u'}, {8, 'y'}};
        for (auto [bit, letter] : kFlags) {
          if (flags & bit) {
            text.push_back(letter);
          }
        }
        objects_[id] = py::str(text);
        *value = objects_[id];
        return true;
      }
      case 'B':
      case '~':
        *value = Buffer(tag);
        return true;
      case 'r':
        *value = Error();
        return true;
      case 'o':
        Count(1);
        Open('o', Remember(py::dict()), 0);
        return false;
      case ';':
        Count(1);
        Open(';', Remember(py::dict()), 0);
        return false;
      case '\'':
        Count(1);
        Open('\'', Remember(py::reinterpret_steal<py::object>(PySet_New(nullptr))), 0);
        return false;
      case 'A':
      case 'a': {
        uint64_t length = in_.Varint();
        Count(length + 1);
        py::list list(static_cast<Py_ssize_t>(length));
        for (uint64_t i = 0; i < length; ++i) {
          Py_INCREF(Py_None);
          PyList_SET_ITEM(list.ptr(), static_cast<Py_ssize_t>(i), Py_None);
        }
        Open(static_cast<char>(tag), Remember(list), static_cast<Py_ssize_t>(length));
        return false;
      }
      case '{':
      case '$':
      case '@':
      case ':':
      case ',':
        Close(tag);
        return false;
      default:
        FailToRead(std::string("unsupported tag '") + static_cast<char>(tag) + "'");
    }
  }

  py::object Buffer(uint8_t tag) {
    size_t size = in_.Varint();
    if (tag == '~') {
      in_.Varint();  // maximum length of a resizable buffer
    }
    const char* bytes = in_.Take(size);
    bytes_ += size;
    py::object buffer = Remember(py::bytes(bytes, size));
    if (in_.PeekTag() != 'V') {
      return buffer;
    }
    in_.Tag();
    in_.Byte();  // the view's type: all become bytes
    size_t offset = in_.Varint();
    size_t length = in_.Varint();
    if (version_ >= 14) {
      in_.Varint();  // view flags
    }
    if (offset > size || length > size - offset) {
      FailToRead("bad view");
    }
    return Remember(py::bytes(bytes + offset, length));
  }

  py::object Error() {
    size_t id = objects_.size();
    objects_.emplace_back();
    py::dict error;
    error["name"] = "Error";
    for (;;) {
      uint8_t tag = in_.Tag();
      switch (tag) {
        case 'E':
          error["name"] = "EvalError";
          break;
        case 'R':
          error["name"] = "RangeError";
          break;
        case 'F':
          error["name"] = "ReferenceError";
          break;
        case 'S':
          error["name"] = "SyntaxError";
          break;
        case 'T':
          error["name"] = "TypeError";
          break;
        case 'U':
          error["name"] = "URIError";
          break;
        case 'm':
          error["message"] = TaggedString();
          break;
        case 's':
          error["stack"] = TaggedString();
          break;
        case '.':
          objects_[id] = error;
          return error;
        default:
          FailToRead("unsupported error field");
      }
    }
  }

  void Open(char kind, py::object container, Py_ssize_t length) {
    if (frames_.size() >= limits_.max_depth) {
      RaiseConversionError(std::string(root_name_) + " nested more than " +
                           std::to_string(limits_.max_depth) + " levels");
    }
    Frame frame;
    frame.kind = kind;
    frame.container = std::move(container);
    frame.length = length;
    frames_.push_back(std::move(frame));
  }

  void Close(uint8_t tag) {
    if (frames_.empty()) {
      FailToRead("unbalanced end");
    }
    in_.Varint();  // property count (or entry count)
    if (tag == '$' || tag == '@') {
      in_.Varint();  // array length again
    }
    py::object done = std::move(frames_.back().container);
    frames_.pop_back();
    if (Attach(std::move(done))) {
      finished_ = true;
    }
  }

  // Puts a complete value where it belongs. Returns true when it is the root.
  bool Attach(py::object value) {
    if (finished_) {
      return true;
    }
    if (frames_.empty()) {
      root_ = std::move(value);
      finished_ = true;
      return true;
    }
    Frame& frame = frames_.back();
    switch (frame.kind) {
      case 'A':
        if (frame.index < frame.length) {
          PyObject* item = value.release().ptr();
          PyObject* old = PyList_GET_ITEM(frame.container.ptr(), frame.index);
          PyList_SET_ITEM(frame.container.ptr(), frame.index, item);
          Py_DECREF(old);
          frame.index++;
          return false;
        }
        [[fallthrough]];  // named properties after the elements: key/value pairs, dropped
      case 'a':
      case 'o':
      case ';':
        if (!frame.have_key) {
          frame.key = std::move(value);
          frame.have_key = true;
          return false;
        }
        frame.have_key = false;
        SetMember(frame, std::move(value));
        return false;
      case '\'':
        if (PySet_Add(frame.container.ptr(), value.ptr()) != 0) {
          PyErr_Clear();
          RaiseConversionError("cannot put this value in a set (unhashable) at " + Path());
        }
        return false;
      default:
        FailToRead("bad container");
    }
  }

  void SetMember(Frame& frame, py::object value) {
    PyObject* key = frame.key.ptr();
    if (frame.kind == 'A' || frame.kind == 'a') {
      if (frame.kind == 'a' && PyLong_Check(key)) {
        Py_ssize_t index = PyLong_AsSsize_t(key);
        if (index >= 0 && index < frame.length) {
          PyObject* old = PyList_GET_ITEM(frame.container.ptr(), index);
          PyList_SET_ITEM(frame.container.ptr(), index, value.release().ptr());
          Py_DECREF(old);
        }
      }
      return;  // named properties of arrays have no place in a list
    }
    if (frame.kind == 'o' && !PyUnicode_Check(key)) {
      frame.key = py::str(frame.key);  // integer-like keys of objects are strings in JS
      key = frame.key.ptr();
    }
    if (PyDict_SetItem(frame.container.ptr(), key, value.ptr()) != 0) {
      PyErr_Clear();
      RaiseConversionError("cannot use this value as a dict key (unhashable) at " + Path());
    }
  }

  WireCursor in_;
  ShortStrings short_strings_;
  const ConversionLimits& limits_;
  const char* root_name_;
  uint32_t version_ = 0;
  uint64_t values_ = 0;
  uint64_t bytes_ = 0;
  std::vector<Frame> frames_;
  std::vector<py::object> objects_;  // by serializer id, for references
  py::object root_;
  bool finished_ = false;
};

}  // namespace

py::object WireToPy(const std::string& wire,
                    const ConversionLimits& limits,
                    const char* root_name) {
  CyclicGcPause pause;  // thousands of new containers, all reachable from the result
  return Reader(wire, limits, root_name).Run();
}

}  // namespace ci::bindings
