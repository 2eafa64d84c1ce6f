// crypto's native work: random bytes from the kernel (getrandom) and digests from OpenSSL's
// EVP interface, which libnode already needs.
#include <openssl/evp.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "core/web/web_natives.h"

namespace ci {
namespace {

bool FillRandom(char* data, size_t length) {
  while (length > 0) {
    const ssize_t got = getrandom(data, length, 0);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    data += got;
    length -= static_cast<size_t>(got);
  }
  return true;
}

// randomFill(typedArray): fills it with random bytes and returns it (its length was checked).
void RandomFill(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsTypedArray()) {
    return ThrowTypeError(isolate, "randomFill needs a typed array");
  }
  v8::Local<v8::TypedArray> array = info[0].As<v8::TypedArray>();
  char* data = array->ByteLength() == 0 ? nullptr : ViewData(array);
  if (data != nullptr && !FillRandom(data, array->ByteLength())) {
    return ThrowTypeError(isolate, "The system's random source failed");
  }
  info.GetReturnValue().Set(array);
}

void IsIntegerTypedArray(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Local<v8::Value> value = info[0];
  info.GetReturnValue().Set(
      value->IsInt8Array() || value->IsUint8Array() || value->IsUint8ClampedArray() ||
      value->IsInt16Array() || value->IsUint16Array() || value->IsInt32Array() ||
      value->IsUint32Array() || value->IsBigInt64Array() || value->IsBigUint64Array());
}

const EVP_MD* DigestNamed(const std::string& name) {
  if (name == "sha-1")
    return EVP_sha1();
  if (name == "sha-256")
    return EVP_sha256();
  if (name == "sha-384")
    return EVP_sha384();
  if (name == "sha-512")
    return EVP_sha512();
  return nullptr;
}

// digest(name, bytes, out): writes the digest of the Uint8Array `bytes` into `out`, whose
// length the script made to fit.
void Digest(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString() || !info[1]->IsUint8Array() || !info[2]->IsUint8Array()) {
    return ThrowTypeError(isolate, "digest needs a name and two Uint8Arrays");
  }
  v8::String::Utf8Value name(isolate, info[0]);
  const EVP_MD* md = DigestNamed(std::string(*name, name.length()));
  v8::Local<v8::Uint8Array> bytes = info[1].As<v8::Uint8Array>();
  v8::Local<v8::Uint8Array> out = info[2].As<v8::Uint8Array>();
  if (md == nullptr || out->ByteLength() != static_cast<size_t>(EVP_MD_size(md))) {
    return ThrowTypeError(isolate, "digest: no such algorithm");
  }
  const char* data = bytes->ByteLength() == 0 ? "" : ViewData(bytes);
  unsigned char result[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (data == nullptr || EVP_Digest(data, bytes->ByteLength(), result, &size, md, nullptr) != 1) {
    return ThrowTypeError(isolate, "The digest could not be computed");
  }
  std::memcpy(ViewData(out), result, size);
}

}  // namespace

void AddCryptoNatives(v8::Isolate* isolate, v8::Local<v8::ObjectTemplate> natives) {
  SetNative(isolate, natives, "randomFill", RandomFill);
  SetNative(isolate, natives, "isIntegerTypedArray", IsIntegerTypedArray);
  SetNative(isolate, natives, "digest", Digest);
}

}  // namespace ci
