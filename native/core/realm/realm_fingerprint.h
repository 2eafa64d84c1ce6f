#ifndef CODE_INTERPRETER_CORE_REALM_REALM_FINGERPRINT_H_
#define CODE_INTERPRETER_CORE_REALM_REALM_FINGERPRINT_H_

#include <v8.h>

namespace ci {

/**
 * Everything of a context's realm that script could change and later code could see: each
 * object reachable from the global object and from the intrinsics no global leads to (the
 * iterator, generator and async prototypes, %TypedArray%, %ThrowTypeError%), through
 * prototypes and own properties (accessors by identity, never called), with its prototype,
 * extensibility, keys, values and attributes, as one flat array. Two fingerprints are equal
 * only if no such object was changed, added or replaced in between. Use with the context
 * entered; getters are never run, though a Proxy's traps would be.
 */
class RealmFingerprint {
 public:
  static v8::MaybeLocal<v8::Array> Take(v8::Local<v8::Context> context);
  static bool Same(v8::Local<v8::Context> context,
                   v8::Local<v8::Array> before,
                   v8::Local<v8::Array> after);
  // Sets RegExp's legacy static properties (RegExp.$1, lastMatch, ...) as a new realm has
  // them: accessors whose values the last match sets, which fingerprints cannot see.
  static bool ResetRegExpStatics(v8::Local<v8::Context> context);
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_REALM_REALM_FINGERPRINT_H_
