#include "core/web/web_globals.h"

#include <cstring>

#include "core/engine/compat/script_origin.h"
#include "core/web/web_natives.h"
#include "core/web/web_scripts.h"

namespace ci {
namespace {

// The embedder data slot of a context that holds the groups built in it: an array of the
// natives object, then each group's exports by index (undefined until built).
constexpr int kRealizedSlot = 7;
// The slot of the global object's properties before a filter removed some, when one did.
constexpr int kOriginalsSlot = 8;

/** Each global and the group (core/web/js/<group>.js) whose exports hold it. */
struct Offered {
  const char* name;
  const char* group;
  bool module_only = false;  // Node's, for module code only
};
constexpr Offered kOffered[] = {
    {"URL", "url"},
    {"URLSearchParams", "url"},
    {"TextEncoder", "encoding"},
    {"TextDecoder", "encoding"},
    {"atob", "functions"},
    {"btoa", "functions"},
    {"structuredClone", "functions"},
    {"queueMicrotask", "functions"},
    {"crypto", "crypto"},
    {"performance", "performance"},
    {"DOMException", "dom_exception"},
    {"Event", "events"},
    {"CustomEvent", "events"},
    {"EventTarget", "events"},
    {"AbortController", "abort"},
    {"AbortSignal", "abort"},
    {"process", "node", true},
    {"Buffer", "node", true},
};

size_t GroupIndex(const char* group) {
  for (size_t i = 0; i < kWebScriptCount; ++i) {
    if (std::strcmp(kWebScripts[i].name, group) == 0) {
      return i;
    }
  }
  return kWebScriptCount;
}

v8::Local<v8::String> Name(v8::Isolate* isolate, const char* name) {
  return v8::String::NewFromUtf8(isolate, name, v8::NewStringType::kInternalized).ToLocalChecked();
}

}  // namespace

const std::vector<std::string>& WebGlobals::Names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (const Offered& each : kOffered) {
      if (!each.module_only) {
        all.emplace_back(each.name);
      }
    }
    return all;
  }();
  return names;
}

const std::vector<std::string>& WebGlobals::ModuleOnlyNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (const Offered& each : kOffered) {
      if (each.module_only) {
        all.emplace_back(each.name);
      }
    }
    return all;
  }();
  return names;
}

WebGlobals::WebGlobals(v8::Isolate* isolate) : isolate_(isolate) {
  v8::HandleScope scope(isolate);
  entries_.reserve(std::size(kOffered));
  for (const Offered& each : kOffered) {
    entries_.push_back(Entry{this, each.name, GroupIndex(each.group), each.module_only});
  }
  for (Entry& entry : entries_) {
    entry_data_.emplace_back(isolate, v8::External::New(isolate, &entry));
    entry_names_.emplace_back(isolate, Name(isolate, entry.name));
  }
  scripts_.resize(kWebScriptCount);
  v8::Local<v8::ObjectTemplate> natives = v8::ObjectTemplate::New(isolate);
  AddUrlNatives(isolate, natives);
  AddTextNatives(isolate, natives);
  AddBase64Natives(isolate, natives);
  AddCryptoNatives(isolate, natives);
  AddCloneNatives(isolate, natives);
  AddTimeNatives(isolate, natives);
  AddMicrotaskNatives(isolate, natives);
  natives_.Reset(isolate, natives);
  use_.Reset(isolate, v8::FunctionTemplate::New(isolate, Use, v8::External::New(isolate, this),
                                                v8::Local<v8::Signature>(), 1,
                                                v8::ConstructorBehavior::kThrow));
}

WebGlobals::~WebGlobals() = default;

bool WebGlobals::Install(v8::Local<v8::Context> context,
                         v8::Local<v8::Object> target,
                         const std::function<bool(const char*)>& offered,
                         v8::Local<v8::Object> originals,
                         bool for_modules) {
  bool any = false;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].group >= kWebScriptCount || (entries_[i].module_only && !for_modules) ||
        !offered(entries_[i].name)) {
      continue;
    }
    any = true;
    if (!target
             ->SetLazyDataProperty(context, entry_names_[i].Get(isolate_), Read,
                                   entry_data_[i].Get(isolate_), v8::DontEnum)
             .FromMaybe(false)) {
      return false;
    }
  }
  if (any) {
    context->SetEmbedderData(kTimeOriginSlot, v8::Number::New(isolate_, WebTimeOriginNow()));
    // Setting the last slot also makes the one between readable (V8 reads past the end of a
    // context's embedder data unchecked).
    static_assert(kOriginalsSlot > kRealizedSlot && kRealizedSlot > kTimeOriginSlot);
    context->SetEmbedderData(kOriginalsSlot, originals.IsEmpty()
                                                 ? v8::Undefined(isolate_).As<v8::Value>()
                                                 : originals.As<v8::Value>());
  }
  return true;
}

void WebGlobals::Read(v8::Local<v8::Name>, const v8::PropertyCallbackInfo<v8::Value>& info) {
  const Entry* entry = static_cast<const Entry*>(info.Data().As<v8::External>()->Value());
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context;
  if (!info.Holder()->GetCreationContext().ToLocal(&context)) {
    return;
  }
  v8::Local<v8::Object> exports;
  v8::Local<v8::Value> value;
  if (!entry->owner->Group(context, entry->group).ToLocal(&exports) ||
      !exports->Get(context, Name(isolate, entry->name)).ToLocal(&value)) {
    return;  // the exception (or the termination) goes on to the reader
  }
  info.GetReturnValue().Set(value);
}

void WebGlobals::Use(const v8::FunctionCallbackInfo<v8::Value>& info) {
  WebGlobals* self = static_cast<WebGlobals*>(info.Data().As<v8::External>()->Value());
  v8::Isolate* isolate = info.GetIsolate();
  v8::String::Utf8Value name(isolate, info[0]);
  const size_t group = *name != nullptr ? GroupIndex(*name) : kWebScriptCount;
  v8::Local<v8::Object> exports;
  if (group >= kWebScriptCount) {
    return ThrowTypeError(isolate, "no such group of web globals");
  }
  if (self->Group(isolate->GetCurrentContext(), group).ToLocal(&exports)) {
    info.GetReturnValue().Set(exports);
  }
}

v8::MaybeLocal<v8::Array> WebGlobals::Realized(v8::Local<v8::Context> context) {
  v8::Local<v8::Value> slot = context->GetEmbedderData(kRealizedSlot);
  if (slot->IsArray()) {
    return slot.As<v8::Array>();
  }
  v8::Local<v8::Object> natives;
  // No prototype: a lookup on it never reaches Object.prototype, where script could have put a
  // getter that would receive it.
  if (!natives_.Get(isolate_)->NewInstance(context).ToLocal(&natives) ||
      !natives->SetPrototype(context, v8::Null(isolate_)).FromMaybe(false)) {
    return {};
  }
  v8::Local<v8::Array> realized = v8::Array::New(isolate_, static_cast<int>(kWebScriptCount + 1));
  if (realized->Set(context, 0, natives).IsNothing()) {
    return {};
  }
  context->SetEmbedderData(kRealizedSlot, realized);
  return realized;
}

v8::MaybeLocal<v8::Object> WebGlobals::Group(v8::Local<v8::Context> context, size_t group) {
  v8::EscapableHandleScope scope(isolate_);
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Array> realized;
  v8::Local<v8::Value> built;
  const uint32_t index = static_cast<uint32_t>(group + 1);
  if (!Realized(context).ToLocal(&realized) || !realized->Get(context, index).ToLocal(&built)) {
    return {};
  }
  if (built->IsObject()) {
    return scope.Escape(built.As<v8::Object>());
  }
  if (scripts_[group].IsEmpty()) {
    std::string name = std::string("web:") + kWebScripts[group].name + ".js";
    v8::ScriptOrigin origin = MakeScriptOrigin(isolate_, Name(isolate_, name.c_str()));
    v8::ScriptCompiler::Source source(
        v8::String::NewFromUtf8(isolate_, kWebScripts[group].source).ToLocalChecked(), origin);
    v8::Local<v8::UnboundScript> compiled;
    if (!v8::ScriptCompiler::CompileUnboundScript(isolate_, &source).ToLocal(&compiled)) {
      return {};
    }
    scripts_[group].Reset(isolate_, compiled);
  }
  v8::Local<v8::Value> factory;
  v8::Local<v8::Function> use;
  v8::Local<v8::Value> natives;
  if (!scripts_[group].Get(isolate_)->BindToCurrentContext()->Run(context).ToLocal(&factory) ||
      !factory->IsFunction() || !use_.Get(isolate_)->GetFunction(context).ToLocal(&use) ||
      !realized->Get(context, 0).ToLocal(&natives)) {
    return {};
  }
  v8::Local<v8::Value> originals = context->GetEmbedderData(kOriginalsSlot);
  v8::Local<v8::Value> args[] = {
      natives, use, originals->IsObject() ? originals : context->Global().As<v8::Value>()};
  v8::Local<v8::Value> exports;
  if (!factory.As<v8::Function>()
           ->Call(context, v8::Undefined(isolate_), 3, args)
           .ToLocal(&exports) ||
      !exports->IsObject() || realized->Set(context, index, exports).IsNothing()) {
    return {};
  }
  return scope.Escape(exports.As<v8::Object>());
}

}  // namespace ci
