#include "core/wire.h"

#include <cstdlib>

namespace ci {

bool SerializeValue(v8::Local<v8::Context> context, v8::Local<v8::Value> value, std::string* out) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::TryCatch try_catch(isolate);
  v8::ValueSerializer serializer(isolate);
  serializer.WriteHeader();
  if (!serializer.WriteValue(context, value).FromMaybe(false)) {
    return false;  // a termination is still decided by the holder's recorded reason
  }
  std::pair<uint8_t*, size_t> buffer = serializer.Release();
  out->assign(reinterpret_cast<const char*>(buffer.first), buffer.second);
  std::free(buffer.first);  // the serializer's default delegate allocates with realloc
  return true;
}

bool DeserializeValue(v8::Local<v8::Context> context,
                      const std::string& wire,
                      v8::Local<v8::Value>* out) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::ValueDeserializer deserializer(isolate, reinterpret_cast<const uint8_t*>(wire.data()),
                                     wire.size());
  return deserializer.ReadHeader(context).FromMaybe(false) &&
         deserializer.ReadValue(context).ToLocal(out);
}

}  // namespace ci
