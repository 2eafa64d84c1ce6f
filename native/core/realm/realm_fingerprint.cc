#include "core/realm/realm_fingerprint.h"

#include "core/engine/v8_text.h"

namespace ci {
namespace {

// Built from the realm's own functions, read once before anything else runs.
constexpr char kFingerprint[] = R"js((function () {
  "use strict";
  const ownKeys = Reflect.ownKeys;
  const describe = Reflect.getOwnPropertyDescriptor;
  const protoOf = Reflect.getPrototypeOf;
  const isExtensible = Reflect.isExtensible;
  const hidden = [
    protoOf(function* () {}), protoOf(async function () {}), protoOf(async function* () {}),
    protoOf([][Symbol.iterator]()), protoOf(new Map()[Symbol.iterator]()),
    protoOf(new Set()[Symbol.iterator]()), protoOf(""[Symbol.iterator]()),
    protoOf(/(?:)/[Symbol.matchAll]("")), protoOf(Int8Array),
    describe(Function.prototype, "caller").get,
  ];
  return function fingerprint() {
    const seen = new Set();
    const queue = [globalThis, ...hidden];
    const out = [];
    while (queue.length > 0) {
      const object = queue.pop();
      if (object === null || (typeof object !== "object" && typeof object !== "function") ||
          seen.has(object)) {
        continue;
      }
      seen.add(object);
      const proto = protoOf(object);
      out.push(object, proto, isExtensible(object));
      queue.push(proto);
      for (const key of ownKeys(object)) {
        const d = describe(object, key);
        out.push(key, d.value, d.get, d.set, d.writable, d.enumerable, d.configurable);
        queue.push(d.value, d.get, d.set);
      }
    }
    return out;
  };
})())js";

}  // namespace

v8::MaybeLocal<v8::Array> RealmFingerprint::Take(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> function;
  v8::Local<v8::Value> fingerprint;
  if (!v8::Script::Compile(context, NewString(isolate, kFingerprint)).ToLocal(&script) ||
      !script->Run(context).ToLocal(&function) || !function->IsFunction() ||
      !function.As<v8::Function>()
           ->Call(context, v8::Undefined(isolate), 0, nullptr)
           .ToLocal(&fingerprint) ||
      !fingerprint->IsArray()) {
    return v8::MaybeLocal<v8::Array>();
  }
  return fingerprint.As<v8::Array>();
}

bool RealmFingerprint::Same(v8::Local<v8::Context> context,
                            v8::Local<v8::Array> before,
                            v8::Local<v8::Array> after) {
  const uint32_t length = before->Length();
  if (after->Length() != length) {
    return false;
  }
  for (uint32_t i = 0; i < length; ++i) {
    v8::Local<v8::Value> a;
    v8::Local<v8::Value> b;
    if (!before->Get(context, i).ToLocal(&a) || !after->Get(context, i).ToLocal(&b) ||
        !a->SameValue(b)) {
      return false;
    }
  }
  return true;
}

bool RealmFingerprint::ResetRegExpStatics(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Script> script;
  // An empty match of an empty input leaves every static as a new realm has it: "".
  return v8::Script::Compile(context, NewString(isolate, "/(?:)/.exec('');")).ToLocal(&script) &&
         !script->Run(context).IsEmpty();
}

}  // namespace ci
