#ifndef CODE_INTERPRETER_CORE_ENGINE_HOST_BUFFER_H_
#define CODE_INTERPRETER_CORE_ENGINE_HOST_BUFFER_H_

#include <v8.h>

#include <cstddef>

namespace ci {

/**
 * Host memory that a native function called by script needs for a while (a decoded string, a
 * serialized value), taken from the isolate's ArrayBuffer allocator, so it counts against the
 * sandbox's memory limit as a buffer of the script would (core/engine/capped_allocator.h), and
 * given back when it goes. A script can then never make the host allocate past the limit.
 * Use on the thread that runs the isolate.
 */
class HostBuffer {
 public:
  HostBuffer(v8::Isolate* isolate, size_t length)
      : allocator_(isolate->GetArrayBufferAllocator()), length_(length) {
    data_ = length == 0 ? nullptr : static_cast<char*>(allocator_->AllocateUninitialized(length));
  }
  ~HostBuffer() {
    if (data_ != nullptr) {
      allocator_->Free(data_, length_);
    }
  }
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;

  // False when the limit refused the memory; the caller throws a RangeError.
  bool ok() const { return data_ != nullptr || length_ == 0; }
  char* data() { return data_; }
  size_t size() const { return length_; }

  // Throws the RangeError that says so into the running script.
  static void ThrowRefused(v8::Isolate* isolate) {
    isolate->ThrowException(v8::Exception::RangeError(
        v8::String::NewFromUtf8Literal(isolate, "Not enough memory left in this sandbox")));
  }

 private:
  v8::ArrayBuffer::Allocator* allocator_;
  size_t length_;
  char* data_ = nullptr;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_HOST_BUFFER_H_
