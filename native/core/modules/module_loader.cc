#include "core/modules/module_loader.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine/clock.h"
#include "core/engine/side_effect_free.h"
#include "core/engine/v8_text.h"
#include "core/modules/commonjs_compiler.h"

namespace ci {
namespace {

// Each context's registry (file index -> module object) and its module scope object sit in
// these embedder slots, out of reach of script. The scope object's slot is the last a
// context's embedder data holds.
constexpr int kRegistrySlot = 3;
constexpr int kScopeObjectSlot = 10;

std::string Dirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? std::string("/") : path.substr(0, slash);
}

}  // namespace

ModuleLoader::~ModuleLoader() {
  compiled_.clear();
}

v8::MaybeLocal<v8::Object> ModuleLoader::ScopeObjectOf(v8::Local<v8::Context> context) {
  if (context->GetNumberOfEmbedderDataFields() <= static_cast<uint32_t>(kScopeObjectSlot)) {
    return v8::MaybeLocal<v8::Object>();
  }
  v8::Local<v8::Value> scope = context->GetEmbedderData(kScopeObjectSlot);
  return scope->IsObject() ? scope.As<v8::Object>() : v8::MaybeLocal<v8::Object>();
}

v8::MaybeLocal<v8::Object> ModuleLoader::RegistryOf(v8::Local<v8::Context> context) {
  if (context->GetNumberOfEmbedderDataFields() <= static_cast<uint32_t>(kRegistrySlot)) {
    return v8::MaybeLocal<v8::Object>();
  }
  v8::Local<v8::Value> registry = context->GetEmbedderData(kRegistrySlot);
  return registry->IsObject() ? registry.As<v8::Object>() : v8::MaybeLocal<v8::Object>();
}

bool ModuleLoader::Install(v8::Local<v8::Context> context, const Scope& scope) {
  v8::Isolate* isolate = context->GetIsolate();
  if (header_.empty()) {
    scope_names_ = {"global", "self"};
    scope_names_.insert(scope_names_.end(), scope.names.begin(), scope.names.end());
    scope_names_.insert(scope_names_.end(), scope.lazy_names.begin(), scope.lazy_names.end());
    header_ = ModuleFunctionHeader(scope_names_);
  }
  v8::Local<v8::Object> registry = v8::Object::New(isolate, v8::Null(isolate), nullptr, nullptr, 0);
  // What module code takes its scope's names from: `global` and `self`, the intrinsics a
  // filter removed, then (by prototype) the lazily built globals of Scope::lazy.
  v8::Local<v8::Value> prototype =
      scope.lazy.IsEmpty() ? v8::Null(isolate).As<v8::Value>() : scope.lazy.As<v8::Value>();
  v8::Local<v8::Object> scope_object = v8::Object::New(isolate, prototype, nullptr, nullptr, 0);
  v8::Local<v8::Object> global = scope.global.IsEmpty() ? context->Global() : scope.global;
  for (const char* name : {"global", "self"}) {
    if (scope_object->CreateDataProperty(context, NewString(isolate, name), global).IsNothing()) {
      return false;
    }
  }
  for (size_t i = 0; i < scope.names.size() && !scope.values.IsEmpty(); ++i) {
    v8::Local<v8::Value> value;
    if (!scope.values->Get(context, static_cast<uint32_t>(i)).ToLocal(&value) ||
        scope_object->CreateDataProperty(context, NewString(isolate, scope.names[i].c_str()), value)
            .IsNothing()) {
      return false;
    }
  }
  context->SetEmbedderData(kRegistrySlot, registry);
  context->SetEmbedderData(kScopeObjectSlot, scope_object);
  v8::Local<v8::Function> require;
  return NewRequire(context, registry, ModuleStore::kUserCode).ToLocal(&require) &&
         context->Global()
             ->DefineOwnProperty(context, NewString(isolate, "require"), require, v8::DontEnum)
             .FromMaybe(false);
}

void ModuleLoader::ResetRecord() {
  requested_.clear();
  request_failed_ = false;
  load_ms_ = 0;
}

void ModuleLoader::Record(int file) {
  if (std::find(requested_.begin(), requested_.end(), file) == requested_.end()) {
    requested_.push_back(file);
  }
}

bool ModuleLoader::Preload(v8::Local<v8::Context> context, const std::vector<int>& files) {
  v8::TryCatch try_catch(context->GetIsolate());
  v8::Local<v8::Object> registry;
  if (!RegistryOf(context).ToLocal(&registry)) {
    return false;
  }
  const int count = static_cast<int>(store_->files().size());
  for (int file : files) {
    // The list may come from another worker process's ledger: only indexes of this store.
    if (file >= count || file < -count) {
      return false;
    }
    v8::Local<v8::Value> value;
    bool loaded;
    if (file < 0) {
      loaded = !CommonJsNamespace(context, registry, ~file).IsEmpty();
    } else {
      loaded = Load(context, registry, file).ToLocal(&value) &&
               (!IsEsModule(file) || !ModuleView(context, registry, file, value).IsEmpty());
    }
    if (!loaded) {
      return false;
    }
  }
  return true;
}

v8::MaybeLocal<v8::Function> ModuleLoader::NewRequire(v8::Local<v8::Context> context,
                                                      v8::Local<v8::Object> registry,
                                                      int from_file) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Value> data_items[] = {registry, v8::Integer::New(isolate, from_file),
                                       v8::External::New(isolate, this)};
  v8::Local<v8::Array> data = v8::Array::New(isolate, data_items, 3);
  // Free of side effects as V8 sees it: in that mode it only reads the registry (see Require).
  v8::Local<v8::Function> require;
  if (!v8::Function::New(context, Require, data, 1, v8::ConstructorBehavior::kThrow,
                         v8::SideEffectType::kHasNoSideEffect)
           .ToLocal(&require)) {
    return v8::MaybeLocal<v8::Function>();
  }
  require->SetName(NewString(isolate, "require"));
  if (from_file == ModuleStore::kUserCode) {
    // What the sandbox's import declarations are rewritten to call.
    v8::Local<v8::Function> import;
    if (!v8::Function::New(context, Import, data, 1, v8::ConstructorBehavior::kThrow,
                           v8::SideEffectType::kHasNoSideEffect)
             .ToLocal(&import) ||
        !require
             ->DefineOwnProperty(context, NewString(isolate, "import"), import,
                                 static_cast<v8::PropertyAttribute>(v8::DontEnum | v8::ReadOnly))
             .FromMaybe(false)) {
      return v8::MaybeLocal<v8::Function>();
    }
  }
  return require;
}

namespace {

struct RequireCall {
  ModuleLoader* loader;
  v8::Local<v8::Object> registry;
  int from_file;
};

RequireCall CallOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Local<v8::Context> context = info.GetIsolate()->GetCurrentContext();
  v8::Local<v8::Array> data = info.Data().As<v8::Array>();
  return RequireCall{
      static_cast<ModuleLoader*>(
          data->Get(context, 2).ToLocalChecked().As<v8::External>()->Value()),
      data->Get(context, 0).ToLocalChecked().As<v8::Object>(),
      static_cast<int>(data->Get(context, 1).ToLocalChecked().As<v8::Integer>()->Value())};
}

}  // namespace

void ModuleLoader::Require(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const RequireCall call = CallOf(info);
  call.loader->Request(info, call.registry, call.from_file, RequestKind::kRequire);
}

void ModuleLoader::Import(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const RequireCall call = CallOf(info);
  call.loader->Request(info, call.registry, call.from_file, RequestKind::kImport);
}

void ModuleLoader::Request(const v8::FunctionCallbackInfo<v8::Value>& info,
                           v8::Local<v8::Object> registry,
                           int from_file,
                           RequestKind kind) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  const bool user_code = from_file == ModuleStore::kUserCode;
  const bool import = kind == RequestKind::kImport;

  if (info.Length() < 1 || !info[0]->IsString()) {
    if (user_code) {
      request_failed_ = true;
    }
    isolate->ThrowException(v8::Exception::TypeError(
        NewString(isolate, import ? "import takes a module name (a string)"
                                  : "require() takes a module name (a string)")));
    return;
  }
  const std::string request = ToUtf8(isolate, info[0]);
  const ModuleResolution resolution = store_->Resolve(from_file, request, kind);
  if (resolution.file < 0) {
    if (user_code) {
      request_failed_ = true;
    }
    v8::Local<v8::String> message;
    if (NewText(isolate, import ? ImportError(resolution.error) : resolution.error)
            .ToLocal(&message)) {
      isolate->ThrowException(v8::Exception::Error(message));
    }
    return;
  }
  const int file = resolution.file;
  // What a pristine context must hold for this request: the module, or its namespace when a
  // CommonJS module is imported.
  const int record = import && !IsEsModule(file) ? ~file : file;
  if (InSideEffectFreeEvaluation()) {
    // Only what this context already holds can be handed out without changing it.
    v8::Local<v8::Value> held;
    v8::Local<v8::Value> value;
    if (IsEsModule(file) || import) {
      v8::Local<v8::Value> key = !IsEsModule(file) ? ImportedKey(isolate, file)
                                 : user_code       ? ViewKey(isolate, file)
                                             : v8::Integer::New(isolate, file).As<v8::Value>();
      if (registry->Get(context, key).ToLocal(&held) && held->IsObject()) {
        value = held;
      }
    } else if (registry->Get(context, file).ToLocal(&held) && held->IsObject()) {
      value = held.As<v8::Object>()
                  ->Get(context, NewString(isolate, "exports"))
                  .FromMaybe(v8::Local<v8::Value>());
    }
    if (value.IsEmpty()) {
      execution_->DeclineAttempt();
      return;
    }
    if (user_code) {
      Record(record);
    }
    info.GetReturnValue().Set(value);
    return;
  }
  if (user_code) {
    Record(record);
  }
  const Clock::time_point started = Clock::now();
  v8::Local<v8::Value> value;
  bool loaded = import ? ImportFile(context, registry, file, EsModuleLinker::Purpose::kSynchronous)
                             .ToLocal(&value)
                       : Load(context, registry, file).ToLocal(&value);
  if (loaded && user_code && IsEsModule(file) &&
      !ModuleView(context, registry, file, value).ToLocal(&value)) {
    loaded = false;
  }
  if (loaded) {
    info.GetReturnValue().Set(value);
  } else if (user_code) {
    request_failed_ = true;
  }
  if (user_code) {  // the modules' own requests are inside this one
    load_ms_ += MsSince(started);
  }
}

v8::MaybeLocal<v8::Value> ModuleLoader::Load(v8::Local<v8::Context> context,
                                             v8::Local<v8::Object> registry,
                                             int file) {
  v8::Isolate* isolate = context->GetIsolate();
  // Compiled before the path is chosen: a file that runs as CommonJS may turn out to be an ES
  // module there (V8 names its syntax), and then takes the ES module path.
  if (store_->file(file).format != ModuleFormat::kJson && !IsEsModule(file) &&
      !CompileCommonJs(isolate, file)) {
    return v8::MaybeLocal<v8::Value>();
  }
  if (IsEsModule(file)) {
    // require() of an ES module gives its namespace, as Node's does for graphs without
    // top-level await.
    return es_modules_.Namespace(context, registry, file, EsModuleLinker::Purpose::kSynchronous);
  }
  v8::Local<v8::String> exports_key = NewString(isolate, "exports");
  v8::Local<v8::Value> cached;
  if (!registry->Get(context, file).ToLocal(&cached)) {
    return v8::MaybeLocal<v8::Value>();
  }
  if (cached->IsObject()) {
    // Loaded, or loading (a cycle): its exports as they are now, as Node does.
    return cached.As<v8::Object>()->Get(context, exports_key);
  }
  const ModuleFile& source = store_->file(file);
  v8::Local<v8::Object> module = v8::Object::New(isolate);
  v8::Local<v8::String> path;
  if (!NewText(isolate, source.path).ToLocal(&path) ||
      !module->Set(context, exports_key, v8::Object::New(isolate)).FromMaybe(false) ||
      !module->Set(context, NewString(isolate, "id"), path).FromMaybe(false) ||
      !module->Set(context, NewString(isolate, "filename"), path).FromMaybe(false) ||
      !module->Set(context, NewString(isolate, "loaded"), v8::False(isolate)).FromMaybe(false) ||
      !registry->Set(context, file, module).FromMaybe(false)) {
    return v8::MaybeLocal<v8::Value>();
  }
  v8::TryCatch threw(isolate);
  if (Evaluate(context, registry, module, file).IsEmpty()) {
    // A module that threw is forgotten, so a later require tries it again, as in Node. The
    // exception is held while the registry is changed: V8 13 makes no call with one pending.
    if (!threw.HasTerminated()) {
      registry->Delete(context, file).FromMaybe(false);
    }
    if (threw.HasCaught()) {
      threw.ReThrow();
    }
    return v8::MaybeLocal<v8::Value>();
  }
  if (!module->Set(context, NewString(isolate, "loaded"), v8::True(isolate)).FromMaybe(false)) {
    return v8::MaybeLocal<v8::Value>();
  }
  return module->Get(context, exports_key);
}

v8::MaybeLocal<v8::Value> ModuleLoader::Evaluate(v8::Local<v8::Context> context,
                                                 v8::Local<v8::Object> registry,
                                                 v8::Local<v8::Object> module,
                                                 int file) {
  v8::Isolate* isolate = context->GetIsolate();
  const ModuleFile& source = store_->file(file);
  v8::Local<v8::String> exports_key = NewString(isolate, "exports");
  if (source.format == ModuleFormat::kJson) {
    v8::Local<v8::String> text;
    v8::Local<v8::Value> parsed;
    if (!NewText(isolate, Body(source.source)).ToLocal(&text) ||
        !v8::JSON::Parse(context, text).ToLocal(&parsed)) {
      return v8::MaybeLocal<v8::Value>();
    }
    if (!module->Set(context, exports_key, parsed).FromMaybe(false)) {
      return v8::MaybeLocal<v8::Value>();
    }
    return parsed;
  }
  v8::Local<v8::Function> function;
  v8::Local<v8::Function> require;
  v8::Local<v8::Value> exports;
  v8::Local<v8::String> filename;
  v8::Local<v8::String> dirname;
  if (!ModuleFunction(context, file).ToLocal(&function) ||
      !NewRequire(context, registry, file).ToLocal(&require) ||
      !module->Set(context, NewString(isolate, "require"), require).FromMaybe(false) ||
      !module->Get(context, exports_key).ToLocal(&exports) ||
      !NewText(isolate, source.path).ToLocal(&filename) ||
      !NewText(isolate, Dirname(source.path)).ToLocal(&dirname)) {
    return v8::MaybeLocal<v8::Value>();
  }
  // A scope name is read (building a lazy global) only for a module that names it.
  v8::Local<v8::Object> scope;
  if (!ScopeObjectOf(context).ToLocal(&scope)) {
    return v8::MaybeLocal<v8::Value>();
  }
  std::vector<v8::Local<v8::Value>> values;
  if (!compiled_[file].ScopeValues(context, scope, scope_names_, &values)) {
    return v8::MaybeLocal<v8::Value>();
  }
  v8::Local<v8::Value> inner;
  if (!function
           ->Call(context, v8::Undefined(isolate), static_cast<int>(values.size()), values.data())
           .ToLocal(&inner) ||
      !inner->IsFunction()) {
    return v8::MaybeLocal<v8::Value>();
  }
  v8::Local<v8::Value> arguments[] = {exports, require, module, filename, dirname};
  return inner.As<v8::Function>()->Call(context, exports, 5, arguments);
}

}  // namespace ci
