#ifndef CODE_INTERPRETER_BINDINGS_CONVERT_WIRE_BUFFER_H_
#define CODE_INTERPRETER_BINDINGS_CONVERT_WIRE_BUFFER_H_

#include <algorithm>
#include <cstring>
#include <string>

namespace ci::bindings {

/**
 * The bytes of a wire being written. A context writes a few bytes per value, thousands of
 * times: each write here is an inline bounds check and a store, where std::string's push_back
 * is a call into the library.
 */
class WireBuffer {
 public:
  void Put(char byte) {
    if (used_ == bytes_.size()) {
      Grow(1);
    }
    bytes_[used_++] = byte;
  }

  void Append(const char* data, size_t size) {
    if (size == 0) {
      return;
    }
    if (bytes_.size() - used_ < size) {
      Grow(size);
    }
    std::memcpy(&bytes_[used_], data, size);
    used_ += size;
  }

  void Append(const std::string& data) { Append(data.data(), data.size()); }

  size_t size() const { return used_; }

  // The bytes written; the buffer is left empty.
  std::string Release() {
    bytes_.resize(used_);
    used_ = 0;
    return std::move(bytes_);
  }

 private:
  void Grow(size_t more) { bytes_.resize(std::max(bytes_.size() * 2, used_ + more + 256)); }

  std::string bytes_;
  size_t used_ = 0;
};

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_CONVERT_WIRE_BUFFER_H_
