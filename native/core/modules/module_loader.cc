#include "core/modules/module_loader.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine/clock.h"
#include "core/engine/compat/script_origin.h"
#include "core/engine/side_effect_free.h"
#include "core/engine/source_tokens.h"
#include "core/engine/v8_text.h"

namespace ci {
namespace {

// Each context's registry (file index -> module object) and its module scope object sit in
// these embedder slots, out of reach of script. The scope object's slot is the last a
// context's embedder data holds.
constexpr int kRegistrySlot = 3;
constexpr int kScopeObjectSlot = 10;

// The module function's wrapper: an outer function takes the module scope's names (so a
// module may declare one of them itself), the inner one is Node's. The header has a line of
// its own, and the script's origin starts one line early, so lines in stacks are the file's
// own.
constexpr std::string_view kInnerHeader =
    ") { return function (exports, require, module, __filename, __dirname) {\n";
constexpr std::string_view kFooter = "\n}})";

// What V8 says when a file read as CommonJS is written as an ES module.
bool SaysEsModuleSyntax(const std::string& message) {
  return message.find("Cannot use import statement outside a module") != std::string::npos ||
         message.find("Unexpected token 'export'") != std::string::npos ||
         message.find("Cannot use 'import.meta' outside a module") != std::string::npos;
}

// Whether a source has an import or export declaration at its top level.
bool HasModuleSyntax(std::string_view source) {
  if (source.find("import") == std::string_view::npos &&
      source.find("export") == std::string_view::npos) {
    return false;
  }
  const std::vector<SourceToken> tokens = TokenizeSource(source);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const SourceToken& token = tokens[i];
    if (token.kind != SourceToken::kIdentifier || token.after_dot || token.depth != 0) {
      continue;
    }
    const std::string_view word = token.text(source);
    const std::string_view next = i + 1 < tokens.size() ? tokens[i + 1].text(source) : "";
    if (word == "export" || (word == "import" && next != "(")) {
      return true;  // import.meta included
    }
  }
  return false;
}

std::string Dirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? std::string("/") : path.substr(0, slash);
}

}  // namespace

ModuleLoader::~ModuleLoader() {
  compiled_.clear();
}

std::string_view ModuleLoader::Body(std::string_view source) {
  if (source.rfind("\xEF\xBB\xBF", 0) == 0) {
    source.remove_prefix(3);  // a byte-order mark
  }
  if (source.rfind("#!", 0) == 0) {
    // A shebang line is skipped, as Node does; its newline stays, so lines keep their numbers.
    source.remove_prefix(std::min(source.find('\n'), source.size()));
  }
  return source;
}

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

bool ModuleLoader::NamesWord(std::string_view source, std::string_view name) {
  auto word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
  };
  for (size_t at = source.find(name); at != std::string_view::npos;
       at = source.find(name, at + 1)) {
    const size_t end = at + name.size();
    if ((at == 0 || !word(source[at - 1])) && (end >= source.size() || !word(source[end]))) {
      return true;
    }
  }
  return false;
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

bool ModuleLoader::IsEsModule(int file) const {
  if (static_cast<size_t>(file) < detected_formats_.size() &&
      detected_formats_[file] != ModuleFormat::kJson) {
    return detected_formats_[file] == ModuleFormat::kEsModule;
  }
  const ModuleFile& source = store_->file(file);
  if (source.format != ModuleFormat::kEsModule) {
    return false;
  }
  // A .js file of a "type": "module" package with neither import nor export is a script a
  // "browser" entry often points to (a UMD build): it runs as CommonJS, as bundlers run it.
  const bool script = source.path.size() > 3 &&
                      source.path.compare(source.path.size() - 3, 3, ".js") == 0 &&
                      !HasModuleSyntax(Body(source.source));
  NoteFormat(file, script ? ModuleFormat::kCommonJs : ModuleFormat::kEsModule);
  return !script;
}

void ModuleLoader::NoteFormat(int file, ModuleFormat format) const {
  if (detected_formats_.size() < store_->files().size()) {
    // kJson: not decided yet.
    detected_formats_.resize(store_->files().size(), ModuleFormat::kJson);
  }
  detected_formats_[file] = format;
}

bool ModuleLoader::Install(v8::Local<v8::Context> context, const Scope& scope) {
  v8::Isolate* isolate = context->GetIsolate();
  if (header_.empty()) {
    scope_names_ = {"global", "self"};
    scope_names_.insert(scope_names_.end(), scope.names.begin(), scope.names.end());
    scope_names_.insert(scope_names_.end(), scope.lazy_names.begin(), scope.lazy_names.end());
    header_ = "(function (";
    for (size_t i = 0; i < scope_names_.size(); ++i) {
      header_.append(i == 0 ? "" : ", ").append(scope_names_[i]);
    }
    header_.append(kInnerHeader);
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
  if (store_->file(file).format == ModuleFormat::kCommonJs && !IsEsModule(file) &&
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
  const std::vector<bool>& named = compiled_[file].names_used;
  std::vector<v8::Local<v8::Value>> values;
  values.reserve(scope_names_.size());
  for (size_t i = 0; i < scope_names_.size(); ++i) {
    v8::Local<v8::Value> value = v8::Undefined(isolate);
    if (i < named.size() && named[i] &&
        !scope->Get(context, NewString(isolate, scope_names_[i].c_str())).ToLocal(&value)) {
      return v8::MaybeLocal<v8::Value>();
    }
    values.push_back(value);
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

bool ModuleLoader::CompileCommonJs(v8::Isolate* isolate, int file) {
  auto existing = compiled_.find(file);
  if (existing != compiled_.end() && !existing->second.script.IsEmpty()) {
    return true;
  }
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
    return false;
  }
  v8::ScriptOrigin origin = MakeScriptOrigin(isolate, name, -1);
  v8::ScriptCompiler::Source script_source(code, origin);
  v8::Local<v8::UnboundScript> unbound;
  v8::TryCatch try_catch(isolate);
  if (!v8::ScriptCompiler::CompileUnboundScript(isolate, &script_source).ToLocal(&unbound)) {
    if (try_catch.HasCaught() && !try_catch.HasTerminated() &&
        SaysEsModuleSyntax(ToUtf8(isolate, try_catch.Message()->Get()))) {
      // Written as an ES module though its package does not say so: run as one, as bundlers
      // do.
      NoteFormat(file, ModuleFormat::kEsModule);
      return true;
    }
    try_catch.ReThrow();
    return false;  // its SyntaxError propagates to the require
  }
  CompiledModule& compiled = compiled_[file];
  compiled.script.Reset(isolate, unbound);
  compiled.function_length = code->Length() - 2;  // all but the wrapping parentheses
  for (const std::string& name : scope_names_) {
    compiled.names_used.push_back(NamesWord(body, name));
  }
  return true;
}

v8::MaybeLocal<v8::Function> ModuleLoader::ModuleFunction(v8::Local<v8::Context> context,
                                                          int file) {
  v8::Isolate* isolate = context->GetIsolate();
  if (!CompileCommonJs(isolate, file)) {
    return v8::MaybeLocal<v8::Function>();
  }
  CompiledModule& compiled = compiled_[file];
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
