#ifndef CODE_INTERPRETER_BINDINGS_CONVERT_WIRE_CURSOR_H_
#define CODE_INTERPRETER_BINDINGS_CONVERT_WIRE_CURSOR_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "bindings/errors.h"

namespace ci::bindings {

// A result's wire cannot be read: a ConversionError saying why.
[[noreturn]] inline void FailToRead(const std::string& what) {
  RaiseConversionError("cannot read the result (" + what + ")");
}

/**
 * The reading position in V8's serialization format: its primitives (bytes, tags with their
 * padding skipped, varints, raw runs, doubles), each checked against the end. What the values
 * mean is the reader's (bindings/convert/wire_to_py.cc).
 */
class WireCursor {
 public:
  explicit WireCursor(const std::string& wire)
      : data_(reinterpret_cast<const uint8_t*>(wire.data())), end_(data_ + wire.size()) {}

  uint8_t Byte() {
    if (data_ >= end_) {
      FailToRead("truncated");
    }
    return *data_++;
  }

  uint8_t Tag() {
    uint8_t tag;
    do {
      tag = Byte();
    } while (tag == 0);  // padding
    return tag;
  }

  // The next tag without taking it; 0 at the end.
  uint8_t PeekTag() const {
    const uint8_t* at = data_;
    while (at < end_ && *at == 0) {
      ++at;
    }
    return at < end_ ? *at : 0;
  }

  uint64_t Varint() {
    if (data_ < end_ && *data_ < 0x80) {
      return *data_++;  // most lengths, counts and small integers: one byte
    }
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t byte = Byte();
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) {
        return value;
      }
    }
    FailToRead("bad varint");
  }

  // The next `size` bytes, left in the wire.
  const char* Take(size_t size) {
    if (static_cast<size_t>(end_ - data_) < size) {
      FailToRead("truncated");
    }
    const char* at = reinterpret_cast<const char*>(data_);
    data_ += size;
    return at;
  }

  double Double() {
    double value;
    std::memcpy(&value, Take(sizeof(value)), sizeof(value));
    return value;
  }

 private:
  const uint8_t* data_;
  const uint8_t* end_;
};

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_CONVERT_WIRE_CURSOR_H_
