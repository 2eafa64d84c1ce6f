#ifndef CODE_INTERPRETER_CORE_WEB_WEB_NATIVES_H_
#define CODE_INTERPRETER_CORE_WEB_WEB_NATIVES_H_

#include <v8.h>

namespace ci {

/**
 * The native halves of the web platform globals (core/web/web_globals.h), as the members of
 * the object each group's script receives as `natives`. Each Add* puts one area's functions on
 * the template. They check their arguments' types, since script could reach them only through
 * the scripts' own wrappers, which check first. Use with the isolate locked.
 */
void AddUrlNatives(v8::Isolate* isolate, v8::Local<v8::ObjectTemplate> natives);
void AddTextNatives(v8::Isolate* isolate, v8::Local<v8::ObjectTemplate> natives);
void AddBase64Natives(v8::Isolate* isolate, v8::Local<v8::ObjectTemplate> natives);
void AddCryptoNatives(v8::Isolate* isolate, v8::Local<v8::ObjectTemplate> natives);
void AddCloneNatives(v8::Isolate* isolate, v8::Local<v8::ObjectTemplate> natives);
void AddTimeNatives(v8::Isolate* isolate, v8::Local<v8::ObjectTemplate> natives);
void AddMicrotaskNatives(v8::Isolate* isolate, v8::Local<v8::ObjectTemplate> natives);

// The steady clock in ms: what a context's time origin is recorded as.
double WebTimeOriginNow();
// The embedder data slot of a context that holds its time origin (steady clock, in ms), set
// when the web globals are installed.
constexpr int kTimeOriginSlot = 6;

// Shared by the Add* functions: defines `name` on `natives` as a function calling `callback`.
void SetNative(v8::Isolate* isolate,
               v8::Local<v8::ObjectTemplate> natives,
               const char* name,
               v8::FunctionCallback callback);
void ThrowTypeError(v8::Isolate* isolate, const char* message);
void ThrowRangeError(v8::Isolate* isolate, const char* message);

// A typed array's or DataView's bytes (null for a detached buffer).
char* ViewData(v8::Local<v8::ArrayBufferView> view);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_WEB_WEB_NATIVES_H_
