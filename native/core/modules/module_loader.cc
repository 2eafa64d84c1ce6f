#include "core/modules/module_loader.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine/clock.h"
#include "core/engine/side_effect_free.h"
#include "core/engine/v8_text.h"

namespace ci {
namespace {

// Each context's registry (file index -> module object) and the module scope's `global` and
// values sit in these embedder slots, out of reach of script.
constexpr int kRegistrySlot = 3;
constexpr int kGlobalSlot = 4;
constexpr int kScopeValuesSlot = 5;
// The object of Scope::lazy; the last slot a context's embedder data holds.
constexpr int kLazySlot = 9;
constexpr int kWrapperArguments = 6;

// The module function's wrapper. The header has a line of its own, and the script's origin
// starts one line early, so lines in stacks are the file's own.
constexpr std::string_view kHeader =
    "(function (exports, require, module, __filename, __dirname, global";
constexpr std::string_view kFooter = "\n})";

std::string_view Body(std::string_view source) {
  if (source.rfind("\xEF\xBB\xBF", 0) == 0) {
    source.remove_prefix(3);  // a byte-order mark
  }
  if (source.rfind("#!", 0) == 0) {
    // A shebang line is skipped, as Node does; its newline stays, so lines keep their numbers.
    source.remove_prefix(std::min(source.find('\n'), source.size()));
  }
  return source;
}

std::string Dirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? std::string("/") : path.substr(0, slash);
}

}  // namespace

ModuleLoader::~ModuleLoader() {
  compiled_.clear();
}

bool ModuleLoader::Install(v8::Local<v8::Context> context, const Scope& scope) {
  v8::Isolate* isolate = context->GetIsolate();
  if (header_.empty()) {
    header_ = std::string(kHeader);
    for (const std::string& name : scope.names) {
      header_.append(", ").append(name);
    }
    for (const std::string& name : scope.lazy_names) {
      header_.append(", ").append(name);
    }
    header_.append(") {\n");
    lazy_names_ = scope.lazy_names;
  }
  v8::Local<v8::Object> registry = v8::Object::New(isolate, v8::Null(isolate), nullptr, nullptr, 0);
  context->SetEmbedderData(kRegistrySlot, registry);
  context->SetEmbedderData(kGlobalSlot, scope.global.IsEmpty() ? context->Global() : scope.global);
  context->SetEmbedderData(kScopeValuesSlot,
                           scope.values.IsEmpty() ? v8::Array::New(isolate, 0) : scope.values);
  context->SetEmbedderData(kLazySlot, scope.lazy.IsEmpty() ? v8::Undefined(isolate).As<v8::Value>()
                                                           : scope.lazy.As<v8::Value>());
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
  v8::Local<v8::Value> registry = context->GetEmbedderData(kRegistrySlot);
  if (!registry->IsObject()) {
    return false;
  }
  for (int file : files) {
    if (Load(context, registry.As<v8::Object>(), file).IsEmpty()) {
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
  return require;
}

void ModuleLoader::Require(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> data = info.Data().As<v8::Array>();
  auto* loader = static_cast<ModuleLoader*>(
      data->Get(context, 2).ToLocalChecked().As<v8::External>()->Value());
  v8::Local<v8::Object> registry = data->Get(context, 0).ToLocalChecked().As<v8::Object>();
  const int from_file =
      static_cast<int>(data->Get(context, 1).ToLocalChecked().As<v8::Integer>()->Value());
  const bool user_code = from_file == ModuleStore::kUserCode;

  if (info.Length() < 1 || !info[0]->IsString()) {
    if (user_code) {
      loader->request_failed_ = true;
    }
    isolate->ThrowException(
        v8::Exception::TypeError(NewString(isolate, "require() takes a module name (a string)")));
    return;
  }
  const std::string request = ToUtf8(isolate, info[0]);
  const ModuleResolution resolution = loader->store_->Resolve(from_file, request);
  if (resolution.file < 0) {
    if (user_code) {
      loader->request_failed_ = true;
    }
    v8::Local<v8::String> message;
    if (NewText(isolate, resolution.error).ToLocal(&message)) {
      isolate->ThrowException(v8::Exception::Error(message));
    }
    return;
  }
  if (InSideEffectFreeEvaluation()) {
    // Only a module this context already holds can be handed out without changing it.
    v8::Local<v8::Value> module;
    if (!registry->Get(context, resolution.file).ToLocal(&module) || !module->IsObject()) {
      loader->execution_->DeclineAttempt();
      return;
    }
    v8::Local<v8::Value> exports;
    if (module.As<v8::Object>()->Get(context, NewString(isolate, "exports")).ToLocal(&exports)) {
      if (user_code) {
        loader->Record(resolution.file);
      }
      info.GetReturnValue().Set(exports);
    }
    return;
  }
  if (user_code) {
    loader->Record(resolution.file);
  }
  const Clock::time_point started = Clock::now();
  v8::Local<v8::Value> exports;
  if (loader->Load(context, registry, resolution.file).ToLocal(&exports)) {
    info.GetReturnValue().Set(exports);
  } else if (user_code) {
    loader->request_failed_ = true;
  }
  if (user_code) {  // the modules' own requires are inside this one
    loader->load_ms_ += MsSince(started);
  }
}

v8::MaybeLocal<v8::Value> ModuleLoader::Load(v8::Local<v8::Context> context,
                                             v8::Local<v8::Object> registry,
                                             int file) {
  v8::Isolate* isolate = context->GetIsolate();
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
  if (Evaluate(context, registry, module, file).IsEmpty()) {
    // A module that threw is forgotten, so a later require tries it again, as in Node.
    registry->Delete(context, file).FromMaybe(false);
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
  if (source.json) {
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
  v8::Local<v8::Array> scope = context->GetEmbedderData(kScopeValuesSlot).As<v8::Array>();
  std::vector<v8::Local<v8::Value>> arguments = {
      exports, require, module, filename, dirname, context->GetEmbedderData(kGlobalSlot)};
  for (uint32_t i = 0; i < scope->Length(); ++i) {
    arguments.push_back(scope->Get(context, i).ToLocalChecked());
  }
  // A lazy global is built only for a module that names it (reading it builds it).
  v8::Local<v8::Value> lazy = context->GetEmbedderData(kLazySlot);
  const std::vector<bool>& named = compiled_[file].names_lazy;
  for (size_t i = 0; i < lazy_names_.size(); ++i) {
    v8::Local<v8::Value> value = v8::Undefined(isolate);
    if (lazy->IsObject() && i < named.size() && named[i] &&
        !lazy.As<v8::Object>()
             ->Get(context, NewString(isolate, lazy_names_[i].c_str()))
             .ToLocal(&value)) {
      return v8::MaybeLocal<v8::Value>();
    }
    arguments.push_back(value);
  }
  static_assert(kWrapperArguments == 6, "the header names six parameters before the scope");
  return function->Call(context, exports, static_cast<int>(arguments.size()), arguments.data());
}

v8::MaybeLocal<v8::Function> ModuleLoader::ModuleFunction(v8::Local<v8::Context> context,
                                                          int file) {
  v8::Isolate* isolate = context->GetIsolate();
  CompiledModule& compiled = compiled_[file];
  if (compiled.script.IsEmpty()) {
    const ModuleFile& source = store_->file(file);
    std::string text;
    const std::string_view body = Body(source.source);
    text.reserve(header_.size() + body.size() + kFooter.size());
    text.append(header_).append(body).append(kFooter);
    v8::Local<v8::String> code;
    v8::Local<v8::String> name;
    if (!NewText(isolate, text).ToLocal(&code) || !NewText(isolate, source.path).ToLocal(&name)) {
      isolate->ThrowException(v8::Exception::RangeError(
          NewString(isolate, "a module's source is too long for this engine")));
      return v8::MaybeLocal<v8::Function>();
    }
    v8::ScriptOrigin origin(isolate, name, -1);
    v8::ScriptCompiler::Source script_source(code, origin);
    v8::Local<v8::UnboundScript> unbound;
    if (!v8::ScriptCompiler::CompileUnboundScript(isolate, &script_source).ToLocal(&unbound)) {
      compiled_.erase(file);
      return v8::MaybeLocal<v8::Function>();  // its SyntaxError propagates to the require
    }
    compiled.script.Reset(isolate, unbound);
    compiled.function_length = code->Length() - 2;  // all but the wrapping parentheses
    for (const std::string& lazy : lazy_names_) {
      compiled.names_lazy.push_back(body.find(lazy) != std::string_view::npos);
    }
  }
  v8::Local<v8::Value> value;
  if (!compiled.script.Get(isolate)->BindToCurrentContext()->Run(context).ToLocal(&value)) {
    return v8::MaybeLocal<v8::Function>();
  }
  // A source that closes the wrapper early (`}); ...`) would not be one module body; its
  // function then spans less than the whole wrapper.
  if (!compiled.checked) {
    v8::Local<v8::String> text;
    if (!value->IsFunction() ||
        !value.As<v8::Function>()->FunctionProtoToString(context).ToLocal(&text) ||
        text->Length() != compiled.function_length) {
      isolate->ThrowException(v8::Exception::SyntaxError(
          NewString(isolate, "a module's source is not one CommonJS module body")));
      return v8::MaybeLocal<v8::Function>();
    }
    compiled.checked = true;
  }
  return value.As<v8::Function>();
}

}  // namespace ci
