#include "core/realm/array_guard.h"

#include <string>
#include <string_view>

#include "core/engine/side_effect_free.h"

namespace ci {
namespace {

v8::Local<v8::String> Name(v8::Isolate* isolate, const char* name) {
  return v8::String::NewFromUtf8(isolate, name, v8::NewStringType::kInternalized).ToLocalChecked();
}

// On an array whose length is huge but whose elements are few (e.g. after `a.length = 2**32-1`)
// V8 runs these methods in loops over every index that never check for termination: a
// time limit could not stop them for minutes. Receivers longer than 2^24 are refused instead;
// an array that long and dense would pass any memory limit offered here anyway.
constexpr char kArrayGuard[] = R"js((function (limit, isArray, slicesPlainly, unchangedRealm) {
  "use strict";
  const proto = Array.prototype;
  const apply = Reflect.apply;
  // The originals of the guarded methods, by their own names (kGuardedMethods).
  const {ORIGINALS} = proto;
  const mutating = new Set(["sort", "reverse", "copyWithin", "splice", "shift", "unshift",
                            "fill"]);
  const refuse = (name) => {
    throw new RangeError(`Array.prototype.${name} on more than ${limit} elements is not ` +
                         `allowed in this sandbox`);
  };
  // The script may replace these globals; the guard keeps the originals.
  const {min, max, trunc} = Math;
  const toNumber = Number;
  // Anything but a genuine array (an array-like, a Proxy) could report one length here and
  // another to V8: it is read once, and the method runs on a copy, written back if it mutates.
  const snapshot = (target, name) => {
    const plain = slicesPlainly(target);
    const length = min(max(trunc(toNumber(target.length)) || 0, 0), 2 ** 53 - 1);
    if (length > limit) refuse(name);
    let copy;
    if (plain) {
      // V8's own copy, holes kept: a loop here starts with cold element lookups in every new
      // context, each missing element a slow miss.
      copy = apply(slice, target, [0, length]);
    } else {
      copy = [];
      for (let i = 0; i < length; i++) if (i in target) copy[i] = target[i];
    }
    copy.length = length;
    return copy;
  };
  // The method on anything else. Kept out of the guarded method itself: V8's side-effect-free
  // mode judges a function by all of its bytecode, and the write-back below would make every
  // guarded call on a plain array count as a side effect.
  const onCopy = (receiver, name, original, args) => {
    if (receiver == null) return apply(original, receiver, args);  // V8's own TypeError
    const target = Object(receiver);
    const copy = snapshot(target, name);
    const result = apply(original, copy, args);
    if (!mutating.has(name)) return result;
    const before = toNumber(target.length) || 0;
    for (let i = 0; i < copy.length; i++) {
      if (i in copy) target[i] = copy[i]; else delete target[i];
    }
    for (let i = copy.length; i < before && i < limit; i++) delete target[i];
    target.length = copy.length;
    return result === copy ? target : result;
  };
  // Whether a method may run on the receiver itself: a genuine array or a string, within the
  // limit.
  const direct = (receiver, name) => {
    if (!isArray(receiver) && typeof receiver !== "string") return false;
    if (receiver.length > limit) refuse(name);
    return true;
  };
  // Methods of a class: V8 makes them from a description compiled once, where an object
  // literal (or a computed name per method) builds map after map in every context. Each calls
  // its original itself, so stacks show the method and the builtin alone. One kGuardedMethod
  // per name.
  const guarded = class {METHODS
  }.prototype;
  // Plain stores: each of these is a writable, configurable data property of Array.prototype,
  // which keeps its attributes; redefining them sorted the prototype's descriptors every time.
  for (const name of Reflect.ownKeys(guarded)) {
    if (name !== "constructor") proto[name] = guarded[name];
  }
  // Array.from on an array-like reaches a size check inside V8 that aborts the process.
  const from = Array.from;
  Object.defineProperty(Array, "from", {writable: true, configurable: true, value: {
    from(items, ...rest) {
      if (items != null && typeof items[Symbol.iterator] !== "function") {
        items = snapshot(Object(items), "from");
        const mapFn = rest[0];
        // V8's side-effect-free mode does not list the builtin, so recycled fresh contexts
        // would refuse this common call. There the realm is unchanged, so plain stores into a
        // new array are exactly the builtin's own definitions.
        if (unchangedRealm() && this === Array &&
            (mapFn === undefined || typeof mapFn === "function")) {
          const result = [];
          for (let k = 0; k < items.length; k++) {
            result[k] = mapFn === undefined ? items[k] : apply(mapFn, rest[1], [items[k], k]);
          }
          return result;
        }
      }
      return apply(from, this, [items, ...rest]);
    },
  }.from});
}))js";
// The methods the installer guards (its ORIGINALS and METHODS), and the method it gets for each,
// NAME standing for the name.
constexpr const char* kGuardedMethods[] = {
    "sort",  "reverse", "indexOf",  "lastIndexOf",   "copyWithin", "splice",
    "shift", "unshift", "slice",    "forEach",       "map",        "filter",
    "every", "some",    "reduce",   "reduceRight",   "flat",       "flatMap",
    "fill",  "join",    "toString", "toLocaleString"};
constexpr char kGuardedMethod[] = R"js(
    NAME(...args) {
      return direct(this, "NAME") ? apply(NAME, this, args) : onCopy(this, "NAME", NAME, args);
    })js";
constexpr double kArrayGuardLimit = 16777216;  // 2^24

void ReplaceAll(std::string* text, std::string_view from, std::string_view to) {
  for (size_t at = text->find(from); at != std::string::npos; at = text->find(from, at)) {
    text->replace(at, from.size(), to);
    at += to.size();
  }
}

// The installer's source: kArrayGuard with its placeholders filled from kGuardedMethods.
std::string InstallerSource() {
  std::string originals;
  std::string methods;
  for (const char* name : kGuardedMethods) {
    originals += std::string(originals.empty() ? "" : ", ") + name;
    std::string method = kGuardedMethod;
    ReplaceAll(&method, "NAME", name);
    methods += method;
  }
  std::string source = kArrayGuard;
  ReplaceAll(&source, "{ORIGINALS}", "{" + originals + "}");
  ReplaceAll(&source, "{METHODS", "{" + methods);
  return source;
}

// Whether V8's slice copies `value` exactly as the guard's own loop would, running no code of
// the script's on the way: neither an array nor a Proxy (so no Symbol.species constructor of
// the script's makes the copy), and a length that is an own data property holding a number
// (so reading it again calls no getter or valueOf).
bool SlicesPlainly(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  if (!value->IsObject() || value->IsArray() || value->IsProxy()) {
    return false;
  }
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Value> descriptor;
  if (!value.As<v8::Object>()
           ->GetOwnPropertyDescriptor(context, Name(isolate, "length"))
           .ToLocal(&descriptor) ||
      !descriptor->IsObject()) {
    return false;
  }
  // Own properties of the descriptor only: a missing "value" must not be looked up on a
  // prototype the script may have changed.
  v8::Local<v8::Object> fields = descriptor.As<v8::Object>();
  v8::Local<v8::String> key = Name(isolate, "value");
  v8::Local<v8::Value> length;
  return fields->HasOwnProperty(context, key).FromMaybe(false) &&
         fields->Get(context, key).ToLocal(&length) && length->IsNumber();
}

// A helper the installer gets. Declared free of side effects (each only looks), so guarded
// methods stay usable in V8's side-effect-free mode.
v8::Local<v8::FunctionTemplate> Helper(v8::Isolate* isolate, v8::FunctionCallback callback) {
  return v8::FunctionTemplate::New(isolate, callback, v8::Local<v8::Value>(),
                                   v8::Local<v8::Signature>(), 0, v8::ConstructorBehavior::kThrow,
                                   v8::SideEffectType::kHasNoSideEffect);
}

}  // namespace

bool ArrayGuard::Prepare() {
  const std::string text = InstallerSource();
  v8::ScriptCompiler::Source source(v8::String::NewFromUtf8(isolate_, text.data(),
                                                            v8::NewStringType::kNormal,
                                                            static_cast<int>(text.size()))
                                        .ToLocalChecked());
  v8::Local<v8::UnboundScript> installer;
  if (!v8::ScriptCompiler::CompileUnboundScript(isolate_, &source).ToLocal(&installer)) {
    return false;
  }
  installer_.Reset(isolate_, installer);
  is_array_.Reset(isolate_, Helper(isolate_, [](const v8::FunctionCallbackInfo<v8::Value>& info) {
                    // A genuine JS array: its length is a plain data property; a Proxy is not.
                    info.GetReturnValue().Set(info.Length() > 0 && info[0]->IsArray());
                  }));
  slices_plainly_.Reset(
      isolate_, Helper(isolate_, [](const v8::FunctionCallbackInfo<v8::Value>& info) {
        info.GetReturnValue().Set(info.Length() > 0 && SlicesPlainly(info.GetIsolate(), info[0]));
      }));
  unchanged_realm_.Reset(isolate_,
                         Helper(isolate_, [](const v8::FunctionCallbackInfo<v8::Value>& info) {
                           info.GetReturnValue().Set(InSideEffectFreeEvaluation());
                         }));
  return true;
}

bool ArrayGuard::Install(v8::Local<v8::Context> context) {
  if (installer_.IsEmpty() && !Prepare()) {
    return false;
  }
  v8::Local<v8::Function> is_array;
  v8::Local<v8::Function> slices_plainly;
  v8::Local<v8::Function> unchanged_realm;
  v8::Local<v8::Value> installer;
  if (!is_array_.Get(isolate_)->GetFunction(context).ToLocal(&is_array) ||
      !slices_plainly_.Get(isolate_)->GetFunction(context).ToLocal(&slices_plainly) ||
      !unchanged_realm_.Get(isolate_)->GetFunction(context).ToLocal(&unchanged_realm) ||
      !installer_.Get(isolate_)->BindToCurrentContext()->Run(context).ToLocal(&installer)) {
    return false;
  }
  v8::Local<v8::Value> arguments[] = {v8::Number::New(isolate_, kArrayGuardLimit), is_array,
                                      slices_plainly, unchanged_realm};
  return !installer.As<v8::Function>()
              ->Call(context, v8::Undefined(isolate_), 4, arguments)
              .IsEmpty();
}

}  // namespace ci
