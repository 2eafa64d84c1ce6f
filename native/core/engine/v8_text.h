#ifndef CODE_INTERPRETER_CORE_ENGINE_V8_TEXT_H_
#define CODE_INTERPRETER_CORE_ENGINE_V8_TEXT_H_

#include <v8.h>

#include <string>
#include <string_view>

namespace ci {

/**
 * A V8 value's text as UTF-8; empty for an empty handle. A string's lone surrogates become
 * U+FFFD, as TextEncoder writes them, on every V8: V8 10's Utf8Value writes their three-byte
 * CESU-8 form instead, which a decoder reads as three replacement characters.
 */
inline std::string ToUtf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  if (value.IsEmpty()) {
    return std::string();
  }
  if (value->IsString()) {
    v8::Local<v8::String> text = value.As<v8::String>();
    std::string out(static_cast<size_t>(text->Utf8Length(isolate)), '\0');
    const int written =
        text->WriteUtf8(isolate, out.data(), static_cast<int>(out.size()), nullptr,
                        v8::String::REPLACE_INVALID_UTF8 | v8::String::NO_NULL_TERMINATION);
    out.resize(static_cast<size_t>(written));
    return out;
  }
  v8::String::Utf8Value utf8(isolate, value);
  return *utf8 ? std::string(*utf8, utf8.length()) : std::string();
}

/** An internalized V8 string of a short literal of ours. */
inline v8::Local<v8::String> NewString(v8::Isolate* isolate, const char* text) {
  return v8::String::NewFromUtf8(isolate, text, v8::NewStringType::kInternalized).ToLocalChecked();
}

/** A V8 string of UTF-8 text of any origin; empty when V8 refuses it (too long). */
inline v8::MaybeLocal<v8::String> NewText(v8::Isolate* isolate, std::string_view text) {
  return v8::String::NewFromUtf8(isolate, text.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(text.size()));
}

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_V8_TEXT_H_
