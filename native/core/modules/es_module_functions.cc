#include "core/modules/es_module_functions.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "core/engine/compat/script_origin.h"
#include "core/engine/v8_text.h"
#include "core/modules/module_loader.h"
#include "core/modules/module_wrapper.h"

namespace ci {

struct EsModuleFunctions::Compiled {
  EsModuleSource source;
  std::vector<int> request_files;  // where each of source.requests leads
  ModuleWrapper wrapper;
};

namespace {

// The parameter the module function takes its imports in.
constexpr std::string_view kImportsParameter = "__ci$i";

void ThrowSyntaxError(v8::Isolate* isolate, const std::string& message) {
  v8::Local<v8::String> text;
  if (NewText(isolate, message).ToLocal(&text)) {
    isolate->ThrowException(v8::Exception::SyntaxError(text));
  }
}

// `name` of `name_space`, or a SyntaxError as V8's linking gives for a missing export.
v8::MaybeLocal<v8::Value> ExportOf(v8::Local<v8::Context> context,
                                   v8::Local<v8::Object> name_space,
                                   const std::string& name,
                                   const std::string& specifier) {
  v8::Isolate* isolate = context->GetIsolate();
  if (name == "*") {
    return name_space;
  }
  v8::Local<v8::String> key;
  if (!NewText(isolate, name).ToLocal(&key)) {
    return v8::MaybeLocal<v8::Value>();
  }
  v8::Maybe<bool> has = name_space->HasOwnProperty(context, key);
  if (has.IsNothing()) {
    return v8::MaybeLocal<v8::Value>();
  }
  if (!has.FromJust()) {
    ThrowSyntaxError(isolate, "The requested module '" + specifier +
                                  "' does not provide an export named '" + name + "'");
    return v8::MaybeLocal<v8::Value>();
  }
  return name_space->Get(context, key);
}

}  // namespace

v8::Local<v8::Value> EsNamespaceKey(v8::Isolate* isolate, int file) {
  return v8::Integer::New(isolate, file);
}

EsModuleFunctions::EsModuleFunctions(ModuleLoader* loader) : loader_(loader) {}

EsModuleFunctions::~EsModuleFunctions() {
  compiled_.clear();
}

EsModuleFunctions::Compiled* EsModuleFunctions::Prepare(v8::Isolate* isolate, int file) {
  auto found = compiled_.find(file);
  if (found != compiled_.end()) {
    return found->second.get();
  }
  const ModuleStore& store = loader_->store();
  const ModuleFile& module = store.file(file);
  const std::string_view body = ModuleLoader::Body(module.source);
  std::optional<EsModuleSource> read = ReadEsModuleSource(body, nullptr);
  if (!read) {
    compiled_[file] = nullptr;
    return nullptr;
  }
  auto compiled = std::make_unique<Compiled>();
  compiled->source = std::move(*read);
  for (const std::string& specifier : compiled->source.requests) {
    const ModuleResolution resolution = store.Resolve(file, specifier, RequestKind::kImport);
    if (resolution.file < 0) {
      compiled_[file] = nullptr;  // V8's linking says what is missing
      return nullptr;
    }
    compiled->request_files.push_back(resolution.file);
  }
  // As a CommonJS module's: an outer function takes the module scope's names (the module may
  // declare one itself), the inner one is the module's body, in strict mode as a module's is,
  // with its imports as constants. The header has a line of its own and the script's origin
  // starts a line early, so lines and columns are the file's own.
  const std::vector<std::string>& scope_names = loader_->scope_names();
  std::string text = "(function (";
  for (size_t i = 0; i < scope_names.size(); ++i) {
    text.append(i == 0 ? "" : ", ").append(scope_names[i]);
  }
  text.append(") { return function (").append(kImportsParameter).append(") {\"use strict\";");
  const std::vector<EsModuleSource::Import>& imports = compiled->source.imports;
  for (size_t i = 0; i < imports.size(); ++i) {
    text.append(i == 0 ? "const " : ", ")
        .append(imports[i].local)
        .append(" = ")
        .append(kImportsParameter)
        .append("[")
        .append(std::to_string(i))
        .append("]");
  }
  text.append(imports.empty() ? "\n" : ";\n");
  text.append(compiled->source.body).append("\n;return [");
  const std::vector<EsModuleSource::LocalExport>& exports = compiled->source.local_exports;
  for (size_t i = 0; i < exports.size(); ++i) {
    text.append(i == 0 ? "" : ", ").append(exports[i].local);
  }
  text.append("];}})");
  v8::Local<v8::String> code;
  v8::Local<v8::String> name;
  if (!NewText(isolate, text).ToLocal(&code) || !NewText(isolate, module.path).ToLocal(&name)) {
    compiled_[file] = nullptr;
    return nullptr;
  }
  v8::ScriptOrigin origin = MakeScriptOrigin(isolate, name, -1);
  v8::ScriptCompiler::Source script_source(code, origin);
  v8::Local<v8::UnboundScript> unbound;
  {
    v8::TryCatch try_catch(isolate);
    if (!v8::ScriptCompiler::CompileUnboundScript(isolate, &script_source).ToLocal(&unbound)) {
      if (try_catch.HasTerminated()) {
        try_catch.ReThrow();
        return nullptr;  // not remembered: the next run may compile it
      }
      // V8's linking compiles it as a module and says why it does not compile, if it does not
      // (top-level await, for one, compiles there).
      compiled_[file] = nullptr;
      return nullptr;
    }
    if (!compiled->wrapper.Keep(isolate, unbound, code, compiled->source.body, scope_names)) {
      if (try_catch.HasTerminated()) {
        try_catch.ReThrow();
        return nullptr;
      }
      compiled_[file] = nullptr;  // its body leaves the wrapper: V8's linking says where
      return nullptr;
    }
  }
  compiled_[file] = std::move(compiled);
  return compiled_[file].get();
}

bool EsModuleFunctions::Plan(v8::Local<v8::Context> context,
                             v8::Local<v8::Object> registry,
                             int file,
                             const HeldNatively& held_natively,
                             std::vector<int>* order) {
  v8::Isolate* isolate = context->GetIsolate();
  enum State { kVisiting = 1, kDone = 2 };
  std::unordered_map<int, int> state;
  struct Frame {
    int file;
    size_t next;
    const Compiled* compiled;
  };
  std::vector<Frame> stack;  // depth first without recursion: a long chain cannot overflow
  // False when `each` makes the graph not qualify.
  auto enter = [&](int each) {
    const int seen = state[each];
    if (seen == kDone) {
      return true;
    }
    if (seen == kVisiting) {
      return false;  // a cycle: its bindings may be read before they are set
    }
    const bool es_module = loader_->IsEsModule(each);
    v8::Local<v8::Value> held;
    if (es_module && registry->Get(context, EsNamespaceKey(isolate, each)).ToLocal(&held) &&
        held->IsObject()) {
      state[each] = kDone;
      return true;
    }
    if (!es_module || held_natively(each)) {
      state[each] = kDone;
      order->push_back(each);
      return true;
    }
    const Compiled* compiled = Prepare(isolate, each);
    if (compiled == nullptr) {
      return false;
    }
    state[each] = kVisiting;
    stack.push_back(Frame{each, 0, compiled});
    return true;
  };
  if (!enter(file)) {
    return false;
  }
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.next < top.compiled->request_files.size()) {
      const int dependency = top.compiled->request_files[top.next++];
      if (!enter(dependency)) {
        return false;
      }
      continue;
    }
    state[top.file] = kDone;
    order->push_back(top.file);
    stack.pop_back();
  }
  return true;
}

v8::MaybeLocal<v8::Object> EsModuleFunctions::HeldNamespace(v8::Local<v8::Context> context,
                                                            v8::Local<v8::Object> registry,
                                                            int file) {
  v8::Local<v8::Value> held;
  if (!loader_->HeldNamespace(context, registry, file).ToLocal(&held)) {
    return v8::MaybeLocal<v8::Object>();
  }
  if (!held->IsObject()) {
    ThrowSyntaxError(context->GetIsolate(),
                     "the ES module " + loader_->store().file(file).path + " is not evaluated");
    return v8::MaybeLocal<v8::Object>();
  }
  return held.As<v8::Object>();
}

v8::MaybeLocal<v8::Value> EsModuleFunctions::Evaluate(v8::Local<v8::Context> context,
                                                      v8::Local<v8::Object> registry,
                                                      const std::vector<int>& order,
                                                      const HeldNatively& held_natively,
                                                      const NativeNamespace& native_namespace) {
  v8::Isolate* isolate = context->GetIsolate();
  std::vector<int> marked;
  for (int file : order) {
    if (loader_->IsEsModule(file) && !held_natively(file) && evaluating_.insert(file).second) {
      marked.push_back(file);
    }
  }
  bool evaluated = true;
  for (int file : order) {
    if (loader_->stopping()) {
      evaluated = false;  // the termination already requested ends the run at V8's next check
      break;
    }
    v8::Local<v8::Value> done;
    if (!loader_->IsEsModule(file)) {
      evaluated = !loader_->CommonJsNamespace(context, registry, file).IsEmpty();
    } else if (registry->Get(context, EsNamespaceKey(isolate, file)).ToLocal(&done) &&
               done->IsObject()) {
      continue;
    } else if (held_natively(file)) {
      evaluated = !native_namespace(file).IsEmpty();
    } else {
      evaluated = !Run(context, registry, file).IsEmpty();
      evaluating_.erase(file);
    }
    if (!evaluated) {
      break;
    }
  }
  for (int file : marked) {
    evaluating_.erase(file);
  }
  if (!evaluated || order.empty()) {
    return v8::MaybeLocal<v8::Value>();
  }
  v8::Local<v8::Object> name_space;
  if (!HeldNamespace(context, registry, order.back()).ToLocal(&name_space)) {
    return v8::MaybeLocal<v8::Value>();
  }
  return name_space;
}

v8::MaybeLocal<v8::Value> EsModuleFunctions::Run(v8::Local<v8::Context> context,
                                                 v8::Local<v8::Object> registry,
                                                 int file) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::EscapableHandleScope scope(isolate);
  Compiled& compiled = *compiled_[file];
  const EsModuleSource& source = compiled.source;
  // Its imports, from the namespaces of its dependencies (all evaluated by now).
  std::vector<v8::Local<v8::Object>> dependencies;
  for (int dependency : compiled.request_files) {
    v8::Local<v8::Object> name_space;
    if (!HeldNamespace(context, registry, dependency).ToLocal(&name_space)) {
      return v8::MaybeLocal<v8::Value>();
    }
    dependencies.push_back(name_space);
  }
  v8::Local<v8::Array> imports = v8::Array::New(isolate, static_cast<int>(source.imports.size()));
  for (size_t i = 0; i < source.imports.size(); ++i) {
    const EsModuleSource::Import& each = source.imports[i];
    v8::Local<v8::Value> value;
    if (!ExportOf(context, dependencies[each.request], each.name, source.requests[each.request])
             .ToLocal(&value) ||
        imports->Set(context, static_cast<uint32_t>(i), value).IsNothing()) {
      return v8::MaybeLocal<v8::Value>();
    }
  }
  v8::Local<v8::Function> outer;
  v8::Local<v8::Object> scope_object;
  std::vector<v8::Local<v8::Value>> values;
  if (!compiled.wrapper.Run(context, "a module's source is not one ES module body")
           .ToLocal(&outer) ||
      !ModuleLoader::ScopeObjectOf(context).ToLocal(&scope_object) ||
      !compiled.wrapper.ScopeValues(context, scope_object, loader_->scope_names(), &values)) {
    return v8::MaybeLocal<v8::Value>();
  }
  v8::Local<v8::Value> inner;
  v8::Local<v8::Value> argument = imports;
  v8::Local<v8::Value> returned;
  if (!outer->Call(context, v8::Undefined(isolate), static_cast<int>(values.size()), values.data())
           .ToLocal(&inner) ||
      !inner->IsFunction() ||
      !inner.As<v8::Function>()
           ->Call(context, v8::Undefined(isolate), 1, &argument)
           .ToLocal(&returned) ||
      !returned->IsArray()) {
    return v8::MaybeLocal<v8::Value>();
  }
  // Its namespace: its own exports, what it re-exports, and the names its `export *`
  // modules give that nothing else does (a name two of them give differently is left out).
  std::map<std::string, v8::Local<v8::Value>> entries;
  v8::Local<v8::Array> own = returned.As<v8::Array>();
  for (size_t i = 0; i < source.local_exports.size(); ++i) {
    v8::Local<v8::Value> value;
    if (!own->Get(context, static_cast<uint32_t>(i)).ToLocal(&value)) {
      return v8::MaybeLocal<v8::Value>();
    }
    // An anonymous default function or class took its name from the binding the wrapper
    // gave it; its name is "default", as V8's linking names it. (A function exported by
    // name, `export default parseInt` say, keeps its own.)
    if (value->IsFunction() && source.local_exports[i].local == kDefaultLocal &&
        ToUtf8(isolate, value.As<v8::Function>()->GetName()) == kDefaultLocal) {
      value.As<v8::Function>()->SetName(NewString(isolate, "default"));
    }
    entries[source.local_exports[i].name] = value;
  }
  for (const EsModuleSource::Reexport& each : source.reexports) {
    v8::Local<v8::Value> value;
    if (!ExportOf(context, dependencies[each.request], each.imported, source.requests[each.request])
             .ToLocal(&value)) {
      return v8::MaybeLocal<v8::Value>();
    }
    entries[each.name] = value;
  }
  std::map<std::string, v8::Local<v8::Value>> starred;
  std::set<std::string> ambiguous;
  for (size_t request : source.star_exports) {
    v8::Local<v8::Object> name_space = dependencies[request];
    v8::Local<v8::Array> names;
    if (!name_space
             ->GetPropertyNames(
                 context, v8::KeyCollectionMode::kOwnOnly,
                 static_cast<v8::PropertyFilter>(v8::ONLY_ENUMERABLE | v8::SKIP_SYMBOLS),
                 v8::IndexFilter::kIncludeIndices, v8::KeyConversionMode::kConvertToString)
             .ToLocal(&names)) {
      return v8::MaybeLocal<v8::Value>();
    }
    for (uint32_t i = 0; i < names->Length(); ++i) {
      v8::Local<v8::Value> key;
      v8::Local<v8::Value> value;
      if (!names->Get(context, i).ToLocal(&key) || !name_space->Get(context, key).ToLocal(&value)) {
        return v8::MaybeLocal<v8::Value>();
      }
      std::string name = ToUtf8(isolate, key);
      if (name == "default" || entries.count(name) != 0) {
        continue;
      }
      auto [at, added] = starred.emplace(name, value);
      if (!added && !at->second->StrictEquals(value)) {
        ambiguous.insert(name);
      }
    }
  }
  for (auto& [name, value] : starred) {
    if (ambiguous.count(name) == 0) {
      entries.emplace(name, value);
    }
  }
  std::vector<v8::Local<v8::Name>> names;
  std::vector<v8::Local<v8::Value>> values_of;
  names.reserve(entries.size());
  values_of.reserve(entries.size());
  for (auto& [name, value] : entries) {
    v8::Local<v8::String> key;
    if (!NewText(isolate, name).ToLocal(&key)) {
      return v8::MaybeLocal<v8::Value>();
    }
    names.push_back(key);
    values_of.push_back(value);
  }
  v8::Local<v8::Object> name_space =
      v8::Object::New(isolate, v8::Null(isolate), names.data(), values_of.data(), names.size());
  if (name_space
          ->DefineOwnProperty(
              context, v8::Symbol::GetToStringTag(isolate), NewString(isolate, "Module"),
              static_cast<v8::PropertyAttribute>(v8::DontEnum | v8::ReadOnly | v8::DontDelete))
          .IsNothing() ||
      name_space->SetIntegrityLevel(context, v8::IntegrityLevel::kFrozen).IsNothing() ||
      !registry->Set(context, EsNamespaceKey(isolate, file), name_space).FromMaybe(false)) {
    return v8::MaybeLocal<v8::Value>();
  }
  return scope.Escape(name_space);
}

}  // namespace ci
