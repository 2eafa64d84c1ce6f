// atob's and btoa's native work: HTML's forgiving base64, over Latin-1 strings. The input is
// read in chunks and the output built in a buffer counted against the memory limit.
#include <cstdint>

#include "core/engine/host_buffer.h"
#include "core/web/web_natives.h"

namespace ci {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int kChunk = 3 * 4096;  // input characters read at a time, a multiple of three

int Sextet(uint8_t c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

bool IsAsciiWhitespace(uint8_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

bool Latin1(v8::Local<v8::String> text) {
  return text->IsOneByte() || text->ContainsOnlyOneByte();
}

// btoa(data): the base64 of a Latin-1 string; null when a character is beyond U+00FF.
void Btoa(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString()) {
    return ThrowTypeError(isolate, "btoa needs a string");
  }
  v8::Local<v8::String> text = info[0].As<v8::String>();
  if (!Latin1(text)) {
    return info.GetReturnValue().SetNull();
  }
  const size_t length = static_cast<size_t>(text->Length());
  const size_t encoded = (length + 2) / 3 * 4;
  if (encoded > static_cast<size_t>(v8::String::kMaxLength)) {
    return ThrowRangeError(isolate, "The encoded string would be longer than V8 allows");
  }
  HostBuffer out(isolate, encoded);
  if (!out.ok()) {
    return HostBuffer::ThrowRefused(isolate);
  }
  uint8_t chunk[kChunk];
  char* write = out.data();
  for (size_t start = 0; start < length; start += kChunk) {
    const int count = static_cast<int>(std::min<size_t>(kChunk, length - start));
    text->WriteOneByte(isolate, chunk, static_cast<int>(start), count,
                       v8::String::NO_NULL_TERMINATION);
    int i = 0;
    for (; i + 3 <= count; i += 3) {
      const uint32_t bits = chunk[i] << 16 | chunk[i + 1] << 8 | chunk[i + 2];
      *write++ = kAlphabet[bits >> 18];
      *write++ = kAlphabet[(bits >> 12) & 63];
      *write++ = kAlphabet[(bits >> 6) & 63];
      *write++ = kAlphabet[bits & 63];
    }
    if (i < count) {  // only in the last chunk
      const uint32_t bits = chunk[i] << 16 | (i + 1 < count ? chunk[i + 1] << 8 : 0);
      *write++ = kAlphabet[bits >> 18];
      *write++ = kAlphabet[(bits >> 12) & 63];
      *write++ = i + 1 < count ? kAlphabet[(bits >> 6) & 63] : '=';
      *write++ = '=';
    }
  }
  v8::Local<v8::String> result;
  if (!v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(out.data()),
                                  v8::NewStringType::kNormal, static_cast<int>(encoded))
           .ToLocal(&result)) {
    return ThrowRangeError(isolate, "The encoded string would be longer than V8 allows");
  }
  info.GetReturnValue().Set(result);
}

// atob(data): the Latin-1 string a forgiving-base64 text stands for; null when it is not one.
void Atob(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString()) {
    return ThrowTypeError(isolate, "atob needs a string");
  }
  v8::Local<v8::String> text = info[0].As<v8::String>();
  if (!Latin1(text)) {
    return info.GetReturnValue().SetNull();  // no base64 character is beyond U+00FF
  }
  const size_t length = static_cast<size_t>(text->Length());
  // The decoded bytes are at most three quarters of the input.
  HostBuffer out(isolate, length / 4 * 3 + 3);
  if (!out.ok()) {
    return HostBuffer::ThrowRefused(isolate);
  }
  uint8_t chunk[kChunk];
  uint8_t* write = reinterpret_cast<uint8_t*>(out.data());
  uint32_t bits = 0;
  size_t sextets = 0;  // base64 characters seen, whitespace left out
  size_t padding = 0;  // '=' seen, which only whitespace may follow
  for (size_t start = 0; start < length; start += kChunk) {
    const int count = static_cast<int>(std::min<size_t>(kChunk, length - start));
    text->WriteOneByte(isolate, chunk, static_cast<int>(start), count,
                       v8::String::NO_NULL_TERMINATION);
    for (int i = 0; i < count; ++i) {
      const uint8_t c = chunk[i];
      if (IsAsciiWhitespace(c)) {
        continue;
      }
      if (c == '=') {
        ++padding;
        continue;
      }
      const int value = Sextet(c);
      if (value < 0 || padding > 0) {
        return info.GetReturnValue().SetNull();
      }
      bits = bits << 6 | static_cast<uint32_t>(value);
      if (++sextets % 4 == 0) {
        *write++ = static_cast<uint8_t>(bits >> 16);
        *write++ = static_cast<uint8_t>(bits >> 8);
        *write++ = static_cast<uint8_t>(bits);
        bits = 0;
      }
    }
  }
  // Padding may only complete the last quantum: "xx==" or "xxx=".
  const size_t rest = sextets % 4;
  if (rest == 1 || (padding > 0 && (rest + padding) % 4 != 0) || padding > 2) {
    return info.GetReturnValue().SetNull();
  }
  if (rest == 2) {
    *write++ = static_cast<uint8_t>(bits >> 4);
  } else if (rest == 3) {
    *write++ = static_cast<uint8_t>(bits >> 10);
    *write++ = static_cast<uint8_t>(bits >> 2);
  }
  const size_t decoded = static_cast<size_t>(write - reinterpret_cast<uint8_t*>(out.data()));
  v8::Local<v8::String> result;
  if (!v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(out.data()),
                                  v8::NewStringType::kNormal, static_cast<int>(decoded))
           .ToLocal(&result)) {
    return ThrowRangeError(isolate, "The decoded string would be longer than V8 allows");
  }
  info.GetReturnValue().Set(result);
}

}  // namespace

void AddBase64Natives(v8::Isolate* isolate, v8::Local<v8::ObjectTemplate> natives) {
  SetNative(isolate, natives, "btoa", Btoa);
  SetNative(isolate, natives, "atob", Atob);
}

}  // namespace ci
