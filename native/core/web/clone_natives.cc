// structuredClone's native work: V8's ValueSerializer and ValueDeserializer, with the wire
// buffer taken from the isolate's ArrayBuffer allocator, so a large value is refused at the
// memory limit instead of growing host memory past it.
#include <cstring>

#include "core/web/web_natives.h"

namespace ci {
namespace {

/** Serializes one value for one structuredClone call; errors become DataCloneErrors. */
class CloneWriter final : public v8::ValueSerializer::Delegate {
 public:
  CloneWriter(v8::Isolate* isolate, v8::Local<v8::Function> dom_exception)
      : isolate_(isolate),
        allocator_(isolate->GetArrayBufferAllocator()),
        dom_exception_(dom_exception) {}
  ~CloneWriter() override { FreeBufferMemory(buffer_); }
  CloneWriter(const CloneWriter&) = delete;
  CloneWriter& operator=(const CloneWriter&) = delete;

  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    v8::Local<v8::Value> args[] = {message,
                                   v8::String::NewFromUtf8Literal(isolate_, "DataCloneError")};
    v8::Local<v8::Object> error;
    if (dom_exception_->NewInstance(isolate_->GetCurrentContext(), 2, args).ToLocal(&error)) {
      isolate_->ThrowException(error);
    }
  }

  v8::Maybe<uint32_t> GetSharedArrayBufferId(v8::Isolate*,
                                             v8::Local<v8::SharedArrayBuffer>) override {
    ThrowDataCloneError(v8::String::NewFromUtf8Literal(
        isolate_, "A SharedArrayBuffer cannot be cloned in this sandbox"));
    return v8::Nothing<uint32_t>();
  }

  // The serializer grows its buffer through here: from the capped allocator, which may refuse.
  void* ReallocateBufferMemory(void* old_buffer, size_t size, size_t* actual_size) override {
    void* grown = allocator_->AllocateUninitialized(size);
    if (grown == nullptr) {
      return nullptr;  // the serializer throws a DataCloneError for lack of memory
    }
    if (old_buffer != nullptr) {
      std::memcpy(grown, old_buffer, std::min(capacity_, size));
      allocator_->Free(old_buffer, capacity_);
    }
    buffer_ = grown;
    capacity_ = size;
    *actual_size = size;
    return grown;
  }

  void FreeBufferMemory(void* buffer) override {
    if (buffer != nullptr && buffer == buffer_) {
      allocator_->Free(buffer_, capacity_);
      buffer_ = nullptr;
      capacity_ = 0;
    }
  }

 private:
  v8::Isolate* isolate_;
  v8::ArrayBuffer::Allocator* allocator_;
  v8::Local<v8::Function> dom_exception_;
  void* buffer_ = nullptr;
  size_t capacity_ = 0;
};

// clone(value, DOMException): a deep copy of `value` by the structured clone algorithm.
void Clone(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[1]->IsFunction()) {
    return ThrowTypeError(isolate, "clone needs DOMException");
  }
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  CloneWriter writer(isolate, info[1].As<v8::Function>());
  std::pair<uint8_t*, size_t> wire{nullptr, 0};
  {
    v8::ValueSerializer serializer(isolate, &writer);
    serializer.WriteHeader();
    if (serializer.WriteValue(context, info[0]).IsNothing()) {
      return;  // the DataCloneError, or what a getter threw, is pending
    }
    wire = serializer.Release();
  }
  v8::ValueDeserializer deserializer(isolate, wire.first, wire.second);
  v8::Local<v8::Value> copy;
  if (deserializer.ReadHeader(context).IsNothing() ||
      !deserializer.ReadValue(context).ToLocal(&copy)) {
    writer.FreeBufferMemory(wire.first);
    return;
  }
  writer.FreeBufferMemory(wire.first);
  info.GetReturnValue().Set(copy);
}

}  // namespace

void AddCloneNatives(v8::Isolate* isolate, v8::Local<v8::ObjectTemplate> natives) {
  SetNative(isolate, natives, "clone", Clone);
}

}  // namespace ci
