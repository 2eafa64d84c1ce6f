#include "core/web/web_natives.h"

namespace ci {

void SetNative(v8::Isolate* isolate,
               v8::Local<v8::ObjectTemplate> natives,
               const char* name,
               v8::FunctionCallback callback) {
  natives->Set(
      isolate, name,
      v8::FunctionTemplate::New(isolate, callback, v8::Local<v8::Value>(),
                                v8::Local<v8::Signature>(), 0, v8::ConstructorBehavior::kThrow));
}

void ThrowTypeError(v8::Isolate* isolate, const char* message) {
  isolate->ThrowException(
      v8::Exception::TypeError(v8::String::NewFromUtf8(isolate, message).ToLocalChecked()));
}

void ThrowRangeError(v8::Isolate* isolate, const char* message) {
  isolate->ThrowException(
      v8::Exception::RangeError(v8::String::NewFromUtf8(isolate, message).ToLocalChecked()));
}

char* ViewData(v8::Local<v8::ArrayBufferView> view) {
  // A small typed array lives on V8's heap until its buffer is asked for; Buffer() moves it out.
  void* base = view->Buffer()->Data();
  return base == nullptr ? nullptr : static_cast<char*>(base) + view->ByteOffset();
}

}  // namespace ci
