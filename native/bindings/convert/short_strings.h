#ifndef CODE_INTERPRETER_BINDINGS_CONVERT_SHORT_STRINGS_H_
#define CODE_INTERPRETER_BINDINGS_CONVERT_SHORT_STRINGS_H_

#include <Python.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace ci::bindings {

/**
 * The Python str objects made for short one-byte strings during one conversion. Keys repeat
 * from one record to the next ("id", "name"), and so do enum-like values: a repeated one is
 * made once unless another string took its slot in between. A direct-mapped table (a slot
 * keeps the last string that hashed to it) costs a hash and a compare per hit, and nothing is
 * allocated until the first short string. Use with the GIL held.
 */
class ShortStrings {
 public:
  static constexpr size_t kMaxLength = 24;

  ShortStrings() = default;
  ShortStrings(const ShortStrings&) = delete;
  ShortStrings& operator=(const ShortStrings&) = delete;
  ~ShortStrings() {
    for (uint32_t index : filled_) {
      Py_DECREF(slots_[index]);
    }
  }

  // A new reference to the str of the Latin-1 run `bytes` (at most kMaxLength), or null with
  // a Python error set.
  PyObject* Get(const char* bytes, size_t size) {
    if (!slots_) {
      slots_ = std::make_unique<PyObject*[]>(kSlots);  // value-initialized: all empty
      filled_.reserve(64);
    }
    uint32_t hash = 2166136261u;  // FNV-1a
    for (size_t i = 0; i < size; ++i) {
      hash = (hash ^ static_cast<uint8_t>(bytes[i])) * 16777619u;
    }
    const uint32_t index = hash & (kSlots - 1);
    PyObject*& slot = slots_[index];
    // A str decoded from Latin-1 has one byte per character: its length and bytes are the run's.
    if (slot != nullptr && static_cast<size_t>(PyUnicode_GET_LENGTH(slot)) == size &&
        std::memcmp(PyUnicode_1BYTE_DATA(slot), bytes, size) == 0) {
      Py_INCREF(slot);
      return slot;
    }
    PyObject* text = PyUnicode_DecodeLatin1(bytes, static_cast<Py_ssize_t>(size), nullptr);
    if (text == nullptr) {
      return nullptr;
    }
    if (slot == nullptr) {
      filled_.push_back(index);
    } else {
      Py_DECREF(slot);
    }
    Py_INCREF(text);
    slot = text;
    return text;
  }

 private:
  static constexpr uint32_t kSlots = 1024;

  std::unique_ptr<PyObject*[]> slots_;
  std::vector<uint32_t> filled_;  // the slots holding a string, to release them
};

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_CONVERT_SHORT_STRINGS_H_
