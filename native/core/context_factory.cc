#include "core/context_factory.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "core/host_bridge.h"
#include "core/side_effect_free.h"
#include "core/webassembly_on_demand.h"
#include "core/wire.h"

namespace ci {
namespace {

// Globals that reach shared memory; removed from every context at every level.
constexpr const char* kSharedMemoryGlobals[] = {"SharedArrayBuffer", "Atomics"};

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
  const slice = proto.slice;
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
  const names = ["sort", "reverse", "indexOf", "lastIndexOf", "copyWithin", "splice", "shift",
                 "unshift", "slice", "forEach", "map", "filter", "every", "some", "reduce",
                 "reduceRight", "flat", "flatMap", "fill", "join", "toString", "toLocaleString"];
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
  for (const name of names) {
    const original = proto[name];
    const guarded = {
      [name](...args) {
        if (isArray(this) || typeof this === "string") {
          if (this.length > limit) refuse(name);
          return apply(original, this, args);
        }
        return onCopy(this, name, original, args);
      },
    }[name];
    Object.defineProperty(proto, name, {value: guarded, writable: true, configurable: true});
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
constexpr double kArrayGuardLimit = 16777216;  // 2^24

// A global of ECMAScript's own that module code may still use by name when a custom policy
// removed it: not our timers or WebAssembly, and only names that can be parameters.
bool IsIntrinsicName(const std::string& key) {
  static const char* const kNotForModules[] = {
      "globalThis",  "undefined",  "NaN",         "Infinity",     "eval",          "arguments",
      "WebAssembly", "setTimeout", "setInterval", "clearTimeout", "clearInterval", "console"};
  for (const char* name : kNotForModules) {
    if (key == name) {
      return false;
    }
  }
  if (key.empty() ||
      !(std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_' || key[0] == '$')) {
    return false;
  }
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
  });
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

}  // namespace

void ContextFactory::KeepForModules(v8::Local<v8::Context> context,
                                    v8::Local<v8::Object> global,
                                    v8::Local<v8::Value> name,
                                    const std::string& key,
                                    ModuleLoader::Scope* scope) {
  v8::Local<v8::Value> value;
  if (!global->Get(context, name).ToLocal(&value)) {
    return;
  }
  scope->global->Set(context, name, key == "globalThis" ? scope->global.As<v8::Value>() : value)
      .Check();
  const bool removed = std::find(profile_->allowed_globals.begin(), profile_->allowed_globals.end(),
                                 key) == profile_->allowed_globals.end();
  if (removed && IsIntrinsicName(key)) {
    scope->names.push_back(key);
    scope->values->Set(context, scope->values->Length(), value).Check();
  }
}

bool ContextFactory::GuardLongArrayMethods(v8::Local<v8::Context> context) {
  v8::Local<v8::UnboundScript> unbound;
  if (array_guard_.IsEmpty()) {
    v8::ScriptCompiler::Source source(Name(isolate_, kArrayGuard));
    if (!v8::ScriptCompiler::CompileUnboundScript(isolate_, &source).ToLocal(&unbound)) {
      return false;
    }
    array_guard_.Reset(isolate_, unbound);
  } else {
    unbound = array_guard_.Get(isolate_);
  }
  v8::Local<v8::Value> installer;
  v8::Local<v8::Function> is_array;
  // Declared free of side effects (it only looks), so guarded methods stay usable in V8's
  // side-effect-free mode.
  if (!v8::Function::New(
           context,
           [](const v8::FunctionCallbackInfo<v8::Value>& info) {
             // A genuine JS array: its length is a plain data property; a Proxy is not one.
             info.GetReturnValue().Set(info.Length() > 0 && info[0]->IsArray());
           },
           v8::Local<v8::Value>(), 0, v8::ConstructorBehavior::kThrow,
           v8::SideEffectType::kHasNoSideEffect)
           .ToLocal(&is_array)) {
    return false;
  }
  v8::Local<v8::Function> slices_plainly;
  if (!v8::Function::New(
           context,
           [](const v8::FunctionCallbackInfo<v8::Value>& info) {
             info.GetReturnValue().Set(info.Length() > 0 &&
                                       SlicesPlainly(info.GetIsolate(), info[0]));
           },
           v8::Local<v8::Value>(), 0, v8::ConstructorBehavior::kThrow,
           v8::SideEffectType::kHasNoSideEffect)
           .ToLocal(&slices_plainly)) {
    return false;
  }
  v8::Local<v8::Function> unchanged_realm;
  if (!v8::Function::New(
           context,
           [](const v8::FunctionCallbackInfo<v8::Value>& info) {
             info.GetReturnValue().Set(InSideEffectFreeEvaluation());
           },
           v8::Local<v8::Value>(), 0, v8::ConstructorBehavior::kThrow,
           v8::SideEffectType::kHasNoSideEffect)
           .ToLocal(&unchanged_realm)) {
    return false;
  }
  v8::Local<v8::Value> arguments[] = {v8::Number::New(isolate_, kArrayGuardLimit), is_array,
                                      slices_plainly, unchanged_realm};
  return unbound->BindToCurrentContext()->Run(context).ToLocal(&installer) &&
         !installer.As<v8::Function>()
              ->Call(context, v8::Undefined(isolate_), 4, arguments)
              .IsEmpty();
}

ContextFactory::ContextFactory(v8::Isolate* isolate,
                               ConsoleBuffer* console,
                               TimerQueue* timers,
                               const SecurityProfile* profile,
                               ModuleLoader* modules)
    : isolate_(isolate), timers_(timers), profile_(profile), modules_(modules) {
  v8::HandleScope scope(isolate);
  console_template_.Reset(isolate, console->NewTemplate(isolate));
}

ContextFactory::~ContextFactory() {
  array_guard_.Reset();
  persistent_ = KeptContext();
  spare_ = KeptContext();
  pristine_.clear();
  queues_.clear();
  console_template_.Reset();
}

ContextLease ContextFactory::NewContext() {
  if (has_spare()) {
    ContextLease lease{spare_.context.Get(isolate_), spare_.queue, true};
    spare_ = KeptContext();
    return lease;
  }
  return MakeContext();
}

bool ContextFactory::PrepareSpare() {
  if (has_spare()) {
    return true;
  }
  ContextLease lease = MakeContext();
  if (lease.context.IsEmpty()) {
    return false;
  }
  spare_.context.Reset(isolate_, lease.context);
  spare_.queue = lease.microtasks;
  return true;
}

ContextLease ContextFactory::MakeContext() {
  ReleaseCollectedQueues();
  std::unique_ptr<v8::MicrotaskQueue> queue =
      v8::MicrotaskQueue::New(isolate_, v8::MicrotasksPolicy::kExplicit);
  v8::Local<v8::Context> context = v8::Context::New(
      isolate_, nullptr, v8::MaybeLocal<v8::ObjectTemplate>(), v8::MaybeLocal<v8::Value>(),
      v8::DeserializeInternalFieldsCallback(), queue.get());
  context->AllowCodeGenerationFromStrings(false);
  ContextLease lease{context, queue.get()};
  TrackedQueue tracked{v8::Global<v8::Context>(isolate_, context), std::move(queue)};
  tracked.context.SetWeak();
  queues_.push_back(std::move(tracked));
  if (!Furnish(context)) {
    return ContextLease{};
  }
  return lease;
}

bool ContextFactory::Furnish(v8::Local<v8::Context> context) {
  v8::Context::Scope scope(context);
  v8::Local<v8::Object> global = context->Global();
  for (const char* name : kSharedMemoryGlobals) {
    global->Delete(context, Name(isolate_, name)).Check();
  }
  if (profile_->webassembly) {
    InstallWebAssembly(isolate_);
  } else if (!kWebAssemblyOnDemand) {
    global->Delete(context, Name(isolate_, "WebAssembly")).Check();
  }
  if (!GuardLongArrayMethods(context)) {
    return false;
  }
  if (profile_->timers) {
    timers_->Install(isolate_, context, global);  // before the filter: each may be left out
  }
  ModuleLoader::Scope module_scope;
  if (!profile_->allowed_globals.empty()) {
    v8::Local<v8::Array> names;
    if (modules_ != nullptr) {
      module_scope.global = v8::Object::New(isolate_);
      module_scope.values = v8::Array::New(isolate_, 0);
    }
    if (global->GetOwnPropertyNames(context, v8::ALL_PROPERTIES).ToLocal(&names)) {
      for (uint32_t i = 0; i < names->Length(); ++i) {
        v8::Local<v8::Value> name = names->Get(context, i).ToLocalChecked();
        v8::String::Utf8Value text(isolate_, name);
        const std::string key(*text ? *text : "", text.length());
        if (modules_ != nullptr) {
          KeepForModules(context, global, name, key, &module_scope);
        }
        if (key != "globalThis" &&
            std::find(profile_->allowed_globals.begin(), profile_->allowed_globals.end(), key) ==
                profile_->allowed_globals.end()) {
          global->Delete(context, name).Check();
        }
      }
    }
  }
  bool allowed_all = profile_->allowed_globals.empty();
  auto allowed = [&](const char* name) {
    return allowed_all ||
           std::find(profile_->allowed_globals.begin(), profile_->allowed_globals.end(), name) !=
               profile_->allowed_globals.end();
  };
  if (allowed("console")) {
    // V8 installs a built-in console during bootstrap (a no-op without an inspector); ours
    // replaces it.
    v8::Local<v8::Object> console =
        console_template_.Get(isolate_)->NewInstance(context).ToLocalChecked();
    global->DefineOwnProperty(context, Name(isolate_, "console"), console, v8::DontEnum).Check();
  }
  if (modules_ != nullptr && !modules_->Install(context, module_scope)) {
    return false;
  }
  if (profile_->host && !HostBridge::Install(context, *profile_->host)) {
    return false;
  }
  if (profile_->custom_globals) {
    v8::Local<v8::Value> values;
    if (!DeserializeValue(context, *profile_->custom_globals, &values) || !values->IsObject()) {
      return false;
    }
    v8::Local<v8::Array> keys;
    v8::Local<v8::Object> object = values.As<v8::Object>();
    if (!object->GetOwnPropertyNames(context).ToLocal(&keys)) {
      return false;
    }
    for (uint32_t i = 0; i < keys->Length(); ++i) {
      v8::Local<v8::Value> key = keys->Get(context, i).ToLocalChecked();
      v8::Local<v8::Value> value = object->Get(context, key).ToLocalChecked();
      global->CreateDataProperty(context, key.As<v8::Name>(), value).Check();
    }
  }
  return true;
}

ContextLease ContextFactory::Kept(KeptContext* kept) {
  if (kept->context.IsEmpty()) {
    ContextLease lease = NewContext();
    if (lease.context.IsEmpty()) {
      return lease;
    }
    kept->context.Reset(isolate_, lease.context);
    kept->queue = lease.microtasks;
    return lease;
  }
  return ContextLease{kept->context.Get(isolate_), kept->queue};
}

ContextLease ContextFactory::PristineContext(const std::vector<int>& modules, bool* made) {
  auto found = std::find_if(pristine_.begin(), pristine_.end(),
                            [&](const Pristine& each) { return each.modules == modules; });
  if (found != pristine_.end()) {
    pristine_.splice(pristine_.begin(), pristine_, found);
  } else {
    pristine_.push_front(Pristine{modules, KeptContext()});
    if (pristine_.size() > kMaxPristine) {
      pristine_.pop_back();
    }
  }
  *made = pristine_.front().kept.context.IsEmpty();
  return Kept(&pristine_.front().kept);
}

void ContextFactory::DiscardPristine(const std::vector<int>& modules) {
  pristine_.remove_if([&](const Pristine& each) { return each.modules == modules; });
}

void ContextFactory::ReleaseCollectedQueues() {
  queues_.erase(
      std::remove_if(queues_.begin(), queues_.end(),
                     [](const TrackedQueue& tracked) { return tracked.context.IsEmpty(); }),
      queues_.end());
}

}  // namespace ci
