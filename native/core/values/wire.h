#ifndef CODE_INTERPRETER_CORE_VALUES_WIRE_H_
#define CODE_INTERPRETER_CORE_VALUES_WIRE_H_

#include <v8.h>

#include <string>

namespace ci {

/**
 * Values in V8's own structured-clone wire format. V8 writes and reads it in native code, so
 * large results and contexts cross without a property-by-property walk through the API.
 * The host side reads and writes the same bytes (native/bindings/wire_*).
 *
 * Serialize returns false when V8 refuses the value (a function, a symbol, a Proxy, nesting
 * deeper than its stack allows) or the execution is being stopped; callers then fall back to
 * JsToTree, which explains what and where.
 *
 * One extension, written by the host only: an object of at least kDictionaryModeKeys keys may
 * come as a host object (tag '\\', a varint count, then key, value, key, value, ...), built as a
 * dictionary-mode object, as V8 itself keeps objects that grew that large.
 */
constexpr size_t kDictionaryModeKeys = 128;

bool SerializeValue(v8::Local<v8::Context> context, v8::Local<v8::Value> value, std::string* out);
bool DeserializeValue(v8::Local<v8::Context> context,
                      const std::string& wire,
                      v8::Local<v8::Value>* out);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_VALUES_WIRE_H_
