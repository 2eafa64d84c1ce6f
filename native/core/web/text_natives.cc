// TextEncoder's and TextDecoder's native work: V8's own UTF-8 writer and decoder, and UTF-16
// from bytes.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/engine/host_buffer.h"
#include "core/web/web_natives.h"

namespace ci {
namespace {

constexpr int kWriteFlags = v8::String::REPLACE_INVALID_UTF8 | v8::String::NO_NULL_TERMINATION;

// The Encoding Standard's UTF-8 decoder, without replacement: whether `data` is well formed.
bool ValidUtf8(const uint8_t* data, size_t length) {
  size_t i = 0;
  while (i < length) {
    const uint8_t lead = data[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t need;
    uint8_t low = 0x80, high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      need = 1;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      need = 2;
      low = lead == 0xe0 ? 0xa0 : 0x80;
      high = lead == 0xed ? 0x9f : 0xbf;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      need = 3;
      low = lead == 0xf0 ? 0x90 : 0x80;
      high = lead == 0xf4 ? 0x8f : 0xbf;
    } else {
      return false;
    }
    if (length - i - 1 < need || data[i + 1] < low || data[i + 1] > high) {
      return false;
    }
    for (size_t k = 2; k <= need; ++k) {
      if (data[i + k] < 0x80 || data[i + k] > 0xbf) {
        return false;
      }
    }
    i += need + 1;
  }
  return true;
}

void Utf8Length(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info[0]->IsString()) {
    return ThrowTypeError(info.GetIsolate(), "utf8Length needs a string");
  }
  info.GetReturnValue().Set(info[0].As<v8::String>()->Utf8Length(info.GetIsolate()));
}

// Writes as much of the string as fits, whole characters only; returns [read, written].
void EncodeInto(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString() || !info[1]->IsUint8Array()) {
    return ThrowTypeError(isolate, "encodeInto needs a string and a Uint8Array");
  }
  v8::Local<v8::Uint8Array> bytes = info[1].As<v8::Uint8Array>();
  char* data = ViewData(bytes);
  const size_t capacity = data == nullptr ? 0 : bytes->ByteLength();
  int read = 0;
  int written = 0;
  if (capacity > 0) {
    const int bound = static_cast<int>(std::min<size_t>(capacity, std::numeric_limits<int>::max()));
    written = info[0].As<v8::String>()->WriteUtf8(isolate, data, bound, &read, kWriteFlags);
  }
  v8::Local<v8::Value> result[] = {v8::Integer::New(isolate, read),
                                   v8::Integer::New(isolate, written)};
  info.GetReturnValue().Set(v8::Array::New(isolate, result, 2));
}

// writeUTF8(string, bytes): the whole string into a Uint8Array made to fit it.
void WriteUtf8(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString() || !info[1]->IsUint8Array()) {
    return ThrowTypeError(isolate, "writeUTF8 needs a string and a Uint8Array");
  }
  v8::Local<v8::Uint8Array> bytes = info[1].As<v8::Uint8Array>();
  const size_t capacity = bytes->ByteLength();
  char* data = capacity == 0 ? nullptr : ViewData(bytes);
  if (data != nullptr) {
    info[0].As<v8::String>()->WriteUtf8(
        isolate, data,
        static_cast<int>(std::min<size_t>(capacity, std::numeric_limits<int>::max())), nullptr,
        kWriteFlags);
  }
}

bool BytesOf(const v8::FunctionCallbackInfo<v8::Value>& info,
             const uint8_t** data,
             size_t* length) {
  if (!info[0]->IsUint8Array()) {
    ThrowTypeError(info.GetIsolate(), "decode needs a Uint8Array");
    return false;
  }
  v8::Local<v8::Uint8Array> bytes = info[0].As<v8::Uint8Array>();
  *length = bytes->ByteLength();
  *data = *length == 0 ? nullptr : reinterpret_cast<const uint8_t*>(ViewData(bytes));
  if (*data == nullptr) {
    *length = 0;
  }
  if (*length > static_cast<size_t>(v8::String::kMaxLength)) {
    ThrowRangeError(info.GetIsolate(), "The decoded string would be longer than V8 allows");
    return false;
  }
  return true;
}

void DecodeUtf8(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const uint8_t* data;
  size_t length;
  if (!BytesOf(info, &data, &length)) {
    return;
  }
  if (info[1]->BooleanValue(isolate) && !ValidUtf8(data, length)) {
    return ThrowTypeError(isolate, "The encoded data was not valid for encoding utf-8");
  }
  v8::Local<v8::String> text;
  // V8's decoder replaces each ill-formed sequence with U+FFFD as the Encoding Standard does.
  if (!v8::String::NewFromUtf8(isolate, reinterpret_cast<const char*>(data),
                               v8::NewStringType::kNormal, static_cast<int>(length))
           .ToLocal(&text)) {
    return ThrowRangeError(isolate, "The decoded string would be longer than V8 allows");
  }
  info.GetReturnValue().Set(text);
}

void DecodeUtf16(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const uint8_t* data;
  size_t length;
  if (!BytesOf(info, &data, &length)) {
    return;
  }
  const bool big_endian = info[1]->BooleanValue(isolate);
  const bool fatal = info[2]->BooleanValue(isolate);
  const size_t units = (length + 1) / 2;
  HostBuffer buffer(isolate, units * sizeof(uint16_t));
  if (!buffer.ok()) {
    return HostBuffer::ThrowRefused(isolate);
  }
  uint16_t* out = reinterpret_cast<uint16_t*>(buffer.data());
  const size_t whole = length / 2;
  for (size_t i = 0; i < whole; ++i) {
    const uint8_t a = data[2 * i], b = data[2 * i + 1];
    out[i] = big_endian ? static_cast<uint16_t>(a << 8 | b) : static_cast<uint16_t>(b << 8 | a);
  }
  bool replaced = false;
  for (size_t i = 0; i < whole; ++i) {
    const uint16_t unit = out[i];
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < whole && out[i + 1] >= 0xdc00 &&
        out[i + 1] <= 0xdfff) {
      ++i;  // a pair
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out[i] = 0xfffd;
      replaced = true;
    }
  }
  if (length % 2 == 1) {
    out[units - 1] = 0xfffd;
    replaced = true;
  }
  if (fatal && replaced) {
    return ThrowTypeError(isolate, "The encoded data was not valid for encoding utf-16");
  }
  v8::Local<v8::String> text;
  if (!v8::String::NewFromTwoByte(isolate, out, v8::NewStringType::kNormal, static_cast<int>(units))
           .ToLocal(&text)) {
    return ThrowRangeError(isolate, "The decoded string would be longer than V8 allows");
  }
  info.GetReturnValue().Set(text);
}

void IsUint8Array(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(info[0]->IsUint8Array());
}

void IsArrayBuffer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(info[0]->IsArrayBuffer());
}

}  // namespace

void AddTextNatives(v8::Isolate* isolate, v8::Local<v8::ObjectTemplate> natives) {
  SetNative(isolate, natives, "utf8Length", Utf8Length);
  SetNative(isolate, natives, "encodeInto", EncodeInto);
  SetNative(isolate, natives, "writeUTF8", WriteUtf8);
  SetNative(isolate, natives, "decodeUTF8", DecodeUtf8);
  SetNative(isolate, natives, "decodeUTF16", DecodeUtf16);
  SetNative(isolate, natives, "isUint8Array", IsUint8Array);
  SetNative(isolate, natives, "isArrayBuffer", IsArrayBuffer);
}

}  // namespace ci
