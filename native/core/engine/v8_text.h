#ifndef CODE_INTERPRETER_CORE_ENGINE_V8_TEXT_H_
#define CODE_INTERPRETER_CORE_ENGINE_V8_TEXT_H_

#include <v8.h>

#include <string>
#include <string_view>

namespace ci {

/** A V8 value's text as UTF-8; empty for an empty handle. */
inline std::string ToUtf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  if (value.IsEmpty()) {
    return std::string();
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
