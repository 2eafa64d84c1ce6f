#include "core/modules/module_loader.h"

#include <string>

#include "core/engine/clock.h"
#include "core/engine/side_effect_free.h"
#include "core/engine/v8_text.h"

// What importing gives (ModuleLoader's import side): an ES module's namespace, a CommonJS
// module's namespace, the view the sandbox's code gets of an ES module, and import(); the
// registry keys the views and namespaces are kept at.

namespace ci {

// The registry holds a file's own entry at its index; its view and its imported namespace sit
// at the same index in spans of their own above every file's: integer keys, found without
// making a string (this lookup is part of every recycled run that imports). A store with more
// files than a span (never in practice) falls back to string keys.
constexpr uint32_t kKeySpan = 1u << 29;

v8::Local<v8::Value> ModuleLoader::ViewKey(v8::Isolate* isolate, int file) {
  if (static_cast<uint32_t>(file) < kKeySpan) {
    return v8::Integer::NewFromUnsigned(isolate, kKeySpan + static_cast<uint32_t>(file));
  }
  return NewText(isolate, "view:" + std::to_string(file)).ToLocalChecked();
}

v8::Local<v8::Value> ModuleLoader::ImportedKey(v8::Isolate* isolate, int file) {
  if (static_cast<uint32_t>(file) < kKeySpan) {
    return v8::Integer::NewFromUnsigned(isolate, 2 * kKeySpan + static_cast<uint32_t>(file));
  }
  return NewText(isolate, "imported:" + std::to_string(file)).ToLocalChecked();
}

std::string ModuleLoader::ImportError(std::string error) {
  if (error.rfind("Cannot require", 0) == 0) {
    error.replace(0, 14, "Cannot import");
  }
  return error;
}

v8::MaybeLocal<v8::Value> ModuleLoader::ImportFile(v8::Local<v8::Context> context,
                                                   v8::Local<v8::Object> registry,
                                                   int file,
                                                   EsModuleLinker::Purpose purpose) {
  // As Load(): compiled first, since compiling may find an ES module.
  if (store_->file(file).format != ModuleFormat::kJson && !IsEsModule(file) &&
      !CompileCommonJs(context->GetIsolate(), file)) {
    return v8::MaybeLocal<v8::Value>();
  }
  if (IsEsModule(file)) {
    return es_modules_.Namespace(context, registry, file, purpose);
  }
  v8::Local<v8::Object> name_space;
  if (!CommonJsNamespace(context, registry, file).ToLocal(&name_space)) {
    return v8::MaybeLocal<v8::Value>();
  }
  return name_space;
}

void ModuleLoader::ReadView(v8::Local<v8::Name> name,
                            const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> data = info.Data().As<v8::Array>();
  v8::Local<v8::Value> value;
  if (InSideEffectFreeEvaluation()) {
    // Nothing has run in a recycled attempt's context since its modules were evaluated: the
    // value seen then is the binding's value now.
    if (data->Get(context, 1).ToLocal(&value)) {
      info.GetReturnValue().Set(value);
    }
    return;
  }
  v8::Local<v8::Value> name_space;
  if (data->Get(context, 0).ToLocal(&name_space) &&
      name_space.As<v8::Object>()->Get(context, name).ToLocal(&value)) {
    info.GetReturnValue().Set(value);
  }
}

v8::MaybeLocal<v8::Object> ModuleLoader::ModuleView(v8::Local<v8::Context> context,
                                                    v8::Local<v8::Object> registry,
                                                    int file,
                                                    v8::Local<v8::Value> name_space) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Value> key = ViewKey(isolate, file);
  v8::Local<v8::Value> held;
  if (!registry->Get(context, key).ToLocal(&held)) {
    return v8::MaybeLocal<v8::Object>();
  }
  if (held->IsObject()) {
    return held.As<v8::Object>();
  }
  if (!name_space->IsObject()) {
    return v8::MaybeLocal<v8::Object>();
  }
  v8::Local<v8::Object> exports = name_space.As<v8::Object>();
  if (!name_space->IsModuleNamespaceObject()) {
    // The frozen namespace of a module run as a function (es_module_functions.h): reading it
    // is free of side effects already, and its values do not change.
    if (!registry->Set(context, key, exports).FromMaybe(false)) {
      return v8::MaybeLocal<v8::Object>();
    }
    return exports;
  }
  v8::Local<v8::Array> names;
  if (!exports
           ->GetPropertyNames(
               context, v8::KeyCollectionMode::kOwnOnly,
               static_cast<v8::PropertyFilter>(v8::ONLY_ENUMERABLE | v8::SKIP_SYMBOLS),
               v8::IndexFilter::kIncludeIndices, v8::KeyConversionMode::kConvertToString)
           .ToLocal(&names)) {
    return v8::MaybeLocal<v8::Object>();
  }
  v8::Local<v8::Object> view = v8::Object::New(isolate, v8::Null(isolate), nullptr, nullptr, 0);
  for (uint32_t i = 0; i < names->Length(); ++i) {
    v8::Local<v8::Value> name;
    if (!names->Get(context, i).ToLocal(&name) || !name->IsString()) {
      return v8::MaybeLocal<v8::Object>();
    }
    v8::Local<v8::Value> value = v8::Undefined(isolate);
    {
      // A binding not yet initialized (a cycle) reads as undefined here; the view reads it
      // again when asked.
      v8::TryCatch uninitialized(isolate);
      if (!exports->Get(context, name).ToLocal(&value)) {
        if (uninitialized.HasTerminated()) {
          uninitialized.ReThrow();
          return v8::MaybeLocal<v8::Object>();
        }
        value = v8::Undefined(isolate);
      }
    }
    v8::Local<v8::Value> items[] = {exports, value};
    // Read-only, as a namespace's bindings are to the code that imports them: a write throws
    // in strict code instead of replacing the value in this context.
    if (!view->SetNativeDataProperty(
                 context, name.As<v8::Name>(), ReadView, nullptr, v8::Array::New(isolate, items, 2),
                 static_cast<v8::PropertyAttribute>(v8::DontDelete | v8::ReadOnly),
                 v8::SideEffectType::kHasNoSideEffect)
             .FromMaybe(false)) {
      return v8::MaybeLocal<v8::Object>();
    }
  }
  if (view->DefineOwnProperty(
              context, v8::Symbol::GetToStringTag(isolate), NewString(isolate, "Module"),
              static_cast<v8::PropertyAttribute>(v8::DontEnum | v8::ReadOnly | v8::DontDelete))
          .IsNothing() ||
      view->SetIntegrityLevel(context, v8::IntegrityLevel::kSealed).IsNothing() ||
      !registry->Set(context, key, view).FromMaybe(false)) {
    return v8::MaybeLocal<v8::Object>();
  }
  return view;
}

v8::MaybeLocal<v8::Object> ModuleLoader::CommonJsNamespace(v8::Local<v8::Context> context,
                                                           v8::Local<v8::Object> registry,
                                                           int file) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Value> key = ImportedKey(isolate, file);
  v8::Local<v8::Value> held;
  if (!registry->Get(context, key).ToLocal(&held)) {
    return v8::MaybeLocal<v8::Object>();
  }
  if (held->IsObject()) {
    return held.As<v8::Object>();
  }
  v8::Local<v8::Value> exports;
  if (!Load(context, registry, file).ToLocal(&exports)) {
    return v8::MaybeLocal<v8::Object>();
  }
  v8::Local<v8::Object> name_space =
      v8::Object::New(isolate, v8::Null(isolate), nullptr, nullptr, 0);
  v8::Local<v8::String> default_key = NewString(isolate, "default");
  if (name_space->CreateDataProperty(context, default_key, exports).IsNothing()) {
    return v8::MaybeLocal<v8::Object>();
  }
  // As Node gives them: each own enumerable key of the exports, beside `default` (a JSON
  // module has only its default).
  v8::Local<v8::Array> keys;
  if (exports->IsObject() && store_->file(file).format != ModuleFormat::kJson) {
    v8::Local<v8::Object> object = exports.As<v8::Object>();
    if (!object
             ->GetOwnPropertyNames(context, v8::ONLY_ENUMERABLE,
                                   v8::KeyConversionMode::kConvertToString)
             .ToLocal(&keys)) {
      return v8::MaybeLocal<v8::Object>();
    }
    for (uint32_t i = 0; i < keys->Length(); ++i) {
      v8::Local<v8::Value> name;
      v8::Local<v8::Value> value;
      if (!keys->Get(context, i).ToLocal(&name) || !name->IsString() ||
          name->StrictEquals(default_key)) {
        continue;
      }
      if (!object->Get(context, name).ToLocal(&value) ||
          name_space->CreateDataProperty(context, name.As<v8::Name>(), value).IsNothing()) {
        return v8::MaybeLocal<v8::Object>();
      }
    }
  }
  if (!registry->Set(context, key, name_space).FromMaybe(false)) {
    return v8::MaybeLocal<v8::Object>();
  }
  return name_space;
}

v8::MaybeLocal<v8::Value> ModuleLoader::HeldNamespace(v8::Local<v8::Context> context,
                                                      v8::Local<v8::Object> registry,
                                                      int file) {
  if (!IsEsModule(file)) {
    v8::Local<v8::Object> name_space;
    if (!CommonJsNamespace(context, registry, file).ToLocal(&name_space)) {
      return v8::MaybeLocal<v8::Value>();
    }
    return name_space;
  }
  return registry->Get(context, EsNamespaceKey(context->GetIsolate(), file));
}

v8::MaybeLocal<v8::Promise> ModuleLoader::ImportDynamically(v8::Local<v8::Context> context,
                                                            v8::Local<v8::Value> resource_name,
                                                            v8::Local<v8::String> specifier) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::EscapableHandleScope scope(isolate);
  v8::Local<v8::Promise::Resolver> resolver;
  v8::Local<v8::Object> registry;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver)) {
    return v8::MaybeLocal<v8::Promise>();
  }
  // The importing file, by its virtual path; anything else is the sandbox's own code.
  int from_file = ModuleStore::kUserCode;
  if (resource_name->IsString()) {
    from_file = store_->FileIndex(ToUtf8(isolate, resource_name));
    from_file = from_file < 0 ? ModuleStore::kUserCode : from_file;
  }
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> value;
  bool imported = false;
  if (!RegistryOf(context).ToLocal(&registry)) {
    isolate->ThrowException(
        v8::Exception::Error(NewString(isolate, "import() needs modules: this context has none")));
  } else {
    const std::string request = ToUtf8(isolate, specifier);
    const ModuleResolution resolution = store_->Resolve(from_file, request, RequestKind::kImport);
    if (resolution.file < 0) {
      v8::Local<v8::String> message;
      if (NewText(isolate, ImportError(resolution.error)).ToLocal(&message)) {
        isolate->ThrowException(v8::Exception::Error(message));
      }
    } else {
      const Clock::time_point started = Clock::now();
      imported =
          ImportFile(context, registry, resolution.file, EsModuleLinker::Purpose::kDynamicImport)
              .ToLocal(&value);
      if (from_file == ModuleStore::kUserCode) {
        load_ms_ += MsSince(started);
      }
    }
  }
  if (try_catch.HasTerminated() || isolate->IsExecutionTerminating()) {
    try_catch.ReThrow();
    return v8::MaybeLocal<v8::Promise>();
  }
  const bool settled =
      imported
          ? resolver->Resolve(context, value).FromMaybe(false)
          : resolver
                ->Reject(context, try_catch.HasCaught() ? try_catch.Exception()
                                                        : v8::Undefined(isolate).As<v8::Value>())
                .FromMaybe(false);
  if (!settled) {
    return v8::MaybeLocal<v8::Promise>();
  }
  return scope.Escape(resolver->GetPromise());
}

}  // namespace ci
