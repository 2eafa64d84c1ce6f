#include "core/run/context_globals.h"

#include <string>

#include "core/engine/v8_text.h"
#include "core/realm/identifiers.h"
#include "core/values/wire.h"

namespace ci {

bool InjectContextGlobals(OutcomeWriter& writer, const ExecutionRequest& request) {
  if (request.context_wire == nullptr) {
    return true;
  }
  v8::Isolate* isolate = writer.isolate();
  v8::Local<v8::Context> context = writer.context();
  v8::Local<v8::Value> value;
  if (!DeserializeValue(context, *request.context_wire, &value)) {
    if (writer.Stopped()) {
      return false;
    }
    writer.outcome()->kind = OutcomeKind::kConversionError;
    writer.outcome()->detail = "the context could not be built in JavaScript";
    return false;
  }
  v8::Local<v8::Object> global = context->Global();
  if (global->Set(context, NewString(isolate, "context"), value).IsNothing()) {
    return writer.FailWithException();
  }
  if (!value->IsObject() || value->IsArray()) {
    return true;
  }
  v8::Local<v8::Object> object = value.As<v8::Object>();
  v8::Local<v8::Array> keys;
  if (!object->GetOwnPropertyNames(context).ToLocal(&keys)) {
    return writer.FailWithException();
  }
  for (uint32_t i = 0; i < keys->Length(); ++i) {
    v8::Local<v8::Value> key;
    if (!keys->Get(context, i).ToLocal(&key) || !key->IsString()) {
      continue;
    }
    v8::String::Utf8Value name(isolate, key);
    if (*name == nullptr || !IsPlainIdentifier(std::string_view(*name, name.length()))) {
      continue;
    }
    v8::Maybe<bool> exists = global->Has(context, key);
    if (exists.IsNothing()) {
      return writer.FailWithException();
    }
    v8::Local<v8::Value> property;
    if (exists.FromJust() || !object->Get(context, key).ToLocal(&property)) {
      continue;
    }
    if (global->CreateDataProperty(context, key.As<v8::Name>(), property).IsNothing()) {
      return writer.FailWithException();
    }
  }
  return true;
}

LazyContextGlobals* LazyContextGlobals::From(const v8::PropertyCallbackInfo<v8::Value>& info) {
  return static_cast<LazyContextGlobals*>(info.Data().As<v8::External>()->Value());
}

bool LazyContextGlobals::Whole(v8::Local<v8::Context> context, v8::Local<v8::Value>* out) {
  v8::Isolate* isolate = holder_.isolate();
  if (!whole_.IsEmpty()) {
    *out = whole_.Get(isolate);
    return true;
  }
  if (!DeserializeValue(context, *wire_, out)) {
    // A new context would have built it before the script ran: only the compiled path can
    // answer the same way, so the attempt ends here, whatever the script would catch.
    holder_.termination().DeclineAttempt();
    return false;
  }
  // A new context copies each key's value into its global before the script runs; the script
  // may change `context` before it first reads a key's global, so the values are taken now,
  // before the object is handed out, into an object the script never sees.
  v8::Local<v8::Object> members = v8::Object::New(isolate, v8::Null(isolate), nullptr, nullptr, 0);
  if ((*out)->IsObject()) {
    v8::Local<v8::Object> object = out->As<v8::Object>();
    for (size_t i = 1; i < installed_.size(); ++i) {  // [0] is `context` itself
      v8::Local<v8::Value> member;
      if (!object->Get(context, installed_[i]).ToLocal(&member) ||
          members->CreateDataProperty(context, installed_[i], member).IsNothing()) {
        holder_.termination().DeclineAttempt();
        return false;
      }
    }
  }
  whole_.Reset(isolate, *out);
  members_.Reset(isolate, members);
  return true;
}

void LazyContextGlobals::ReadWhole(v8::Local<v8::Name>,
                                   const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Local<v8::Value> whole;
  if (From(info)->Whole(info.GetIsolate()->GetCurrentContext(), &whole)) {
    info.GetReturnValue().Set(whole);
  }
}

void LazyContextGlobals::ReadMember(v8::Local<v8::Name> name,
                                    const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Local<v8::Context> context = info.GetIsolate()->GetCurrentContext();
  LazyContextGlobals* globals = From(info);
  v8::Local<v8::Value> whole;
  v8::Local<v8::Value> member;
  if (!globals->Whole(context, &whole)) {
    return;
  }
  if (globals->members_.Get(info.GetIsolate())->Get(context, name).ToLocal(&member)) {
    info.GetReturnValue().Set(member);
  } else {
    From(info)->holder_.termination().DeclineAttempt();
  }
}

bool LazyContextGlobals::Install(v8::Local<v8::Context> context, const ExecutionRequest& request) {
  if (request.context_wire == nullptr) {
    return true;
  }
  v8::Isolate* isolate = holder_.isolate();
  v8::Local<v8::Object> global = context->Global();
  v8::Local<v8::String> context_name = NewString(isolate, "context");
  if (global->HasOwnProperty(context, context_name).FromMaybe(true)) {
    return false;  // a custom global named `context`: the compiled path overwrites it
  }
  wire_ = request.context_wire;
  v8::Local<v8::External> data = v8::External::New(isolate, this);
  auto install = [&](v8::Local<v8::Name> name, v8::AccessorNameGetterCallback getter) {
    if (!global
             ->SetLazyDataProperty(context, name, getter, data, v8::None,
                                   v8::SideEffectType::kHasNoSideEffect,
                                   v8::SideEffectType::kHasSideEffect)
             .FromMaybe(false)) {
      return false;
    }
    installed_.push_back(name);
    return true;
  };
  if (!install(context_name, ReadWhole)) {
    return false;
  }
  for (const std::string& key : *request.context_keys) {
    if (!IsPlainIdentifier(key)) {
      continue;
    }
    v8::Local<v8::String> name;
    if (!v8::String::NewFromUtf8(isolate, key.data(), v8::NewStringType::kInternalized,
                                 static_cast<int>(key.size()))
             .ToLocal(&name)) {
      return false;
    }
    v8::Maybe<bool> exists = global->Has(context, name);
    if (exists.IsNothing()) {
      return false;
    }
    if (!exists.FromJust() && !install(name, ReadMember)) {
      return false;
    }
  }
  return true;
}

bool LazyContextGlobals::Remove(v8::Local<v8::Context> context) {
  v8::Local<v8::Object> global = context->Global();
  for (v8::Local<v8::Name> name : installed_) {
    if (!global->Delete(context, name).FromMaybe(false)) {
      return false;
    }
  }
  installed_.clear();
  return true;
}

}  // namespace ci
