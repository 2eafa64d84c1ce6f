#include "core/values/wire.h"

#include <cstdlib>
#include <vector>

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

namespace {

/**
 * Reads the large objects the host writes as host objects (kDictionaryModeTag): a count, then
 * that many key and value pairs, built in one go as a dictionary-mode object. V8's own reading
 * of an object adds its properties one by one as fast properties, making a map per property the
 * first time a shape is seen in a context: in a new context, a 1,000-key object cost
 * milliseconds.
 */
class LargeObjectReader final : public v8::ValueDeserializer::Delegate {
 public:
  explicit LargeObjectReader(v8::Local<v8::Context> context) : context_(context) {}
  void set_deserializer(v8::ValueDeserializer* deserializer) { deserializer_ = deserializer; }

  v8::MaybeLocal<v8::Object> ReadHostObject(v8::Isolate* isolate) override {
    uint32_t count = 0;
    if (!deserializer_->ReadUint32(&count)) {
      return {};
    }
    std::vector<v8::Local<v8::Name>> names;
    std::vector<v8::Local<v8::Value>> values;
    names.reserve(count);
    values.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      v8::Local<v8::Value> key;
      v8::Local<v8::Value> value;
      if (!deserializer_->ReadValue(context_).ToLocal(&key) || !key->IsString() ||
          !deserializer_->ReadValue(context_).ToLocal(&value)) {
        return {};
      }
      names.push_back(key.As<v8::Name>());
      values.push_back(value);
    }
    if (object_prototype_.IsEmpty()) {
      object_prototype_ = v8::Object::New(isolate)->GetPrototype();  // the context's own
    }
    return v8::Object::New(isolate, object_prototype_, names.data(), values.data(), count);
  }

 private:
  v8::Local<v8::Context> context_;
  v8::ValueDeserializer* deserializer_ = nullptr;
  v8::Local<v8::Value> object_prototype_;
};

}  // namespace

bool DeserializeValue(v8::Local<v8::Context> context,
                      const std::string& wire,
                      v8::Local<v8::Value>* out) {
  v8::Isolate* isolate = context->GetIsolate();
  LargeObjectReader large_objects(context);
  v8::ValueDeserializer deserializer(isolate, reinterpret_cast<const uint8_t*>(wire.data()),
                                     wire.size(), &large_objects);
  large_objects.set_deserializer(&deserializer);
  return deserializer.ReadHeader(context).FromMaybe(false) &&
         deserializer.ReadValue(context).ToLocal(out);
}

}  // namespace ci
