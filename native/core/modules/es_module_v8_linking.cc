#include "core/modules/es_module_v8_linking.h"

#include <algorithm>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "core/engine/compat/script_origin.h"
#include "core/engine/v8_text.h"
#include "core/modules/module_loader.h"

// V8's linking of an ES module graph (EsModuleLinker's other half is es_module_linker.cc):
// the modules each context holds, found again by file; a graph's ES modules compiled and
// collected with the synthetic modules that stand in for the rest; the graph instantiated with
// its imports resolved, kept by the context and evaluated; V8's callbacks that resolve an
// import and fill import.meta.

namespace ci {

struct EsModuleLinker::Graph {
  struct Node {
    int file;
    v8::Local<v8::Module> module;
    const Requests* requests;  // where its imports lead; none for a synthetic module
  };
  std::vector<Node> nodes;
  std::unordered_map<int, size_t> by_file;       // file -> index into nodes
  std::unordered_multimap<int, size_t> by_hash;  // module identity hash -> index

  v8::Local<v8::Module> ModuleOf(int file, ContextModules* held, v8::Isolate* isolate) const {
    auto found = by_file.find(file);
    if (found != by_file.end()) {
      return nodes[found->second].module;
    }
    auto kept = held->by_file.find(file);
    return kept == held->by_file.end() ? v8::Local<v8::Module>() : kept->second.Get(isolate);
  }
};

namespace {

// The property of import.meta that holds the module scope's object.
constexpr char kScopeKey[] = "code-interpreter:scope";

v8::Local<v8::Private> ModulesKey(v8::Isolate* isolate) {
  return v8::Private::ForApi(isolate, NewString(isolate, "code-interpreter:es-modules"));
}

}  // namespace

void ThrowError(v8::Isolate* isolate, const std::string& message) {
  v8::Local<v8::String> text;
  if (NewText(isolate, message).ToLocal(&text)) {
    isolate->ThrowException(v8::Exception::Error(text));
  }
}

EsModuleLinker::ContextModules* EsModuleLinker::Find(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Object> registry;
  v8::Local<v8::Value> held;
  if (!ModuleLoader::RegistryOf(context).ToLocal(&registry) ||
      !registry->GetPrivate(context, ModulesKey(isolate)).ToLocal(&held) || !held->IsExternal()) {
    return nullptr;
  }
  return static_cast<ContextModules*>(held.As<v8::External>()->Value());
}

EsModuleLinker::ContextModules* EsModuleLinker::ModulesOf(v8::Local<v8::Context> context,
                                                          v8::Local<v8::Object> registry) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Value> held;
  if (registry->GetPrivate(context, ModulesKey(isolate)).ToLocal(&held) && held->IsExternal()) {
    return static_cast<ContextModules*>(held.As<v8::External>()->Value());
  }
  // Entries of contexts that are gone are dropped as new ones come.
  contexts_.remove_if([](const std::unique_ptr<ContextModules>& each) {
    return each->registry.IsEmpty() && each->linking == nullptr;
  });
  auto modules = std::make_unique<ContextModules>();
  modules->registry.Reset(isolate, registry);
  modules->registry.SetWeak();
  modules->linker = this;
  if (!registry->SetPrivate(context, ModulesKey(isolate), v8::External::New(isolate, modules.get()))
           .FromMaybe(false)) {
    return nullptr;
  }
  contexts_.push_back(std::move(modules));
  return contexts_.back().get();
}

v8::MaybeLocal<v8::Module> EsModuleLinker::Compile(v8::Isolate* isolate, int file) {
  const ModuleFile& source = loader_->store().file(file);
  const std::string_view body = ModuleLoader::Body(source.source);
  const std::vector<std::string>& scope_names = loader_->scope_names();
  auto known = scope_names_used_.find(file);
  if (known == scope_names_used_.end()) {
    std::vector<int> used;
    for (size_t i = 0; i < scope_names.size(); ++i) {
      if (ModuleLoader::NamesWord(body, scope_names[i])) {
        used.push_back(static_cast<int>(i));
      }
    }
    known = scope_names_used_.emplace(file, std::move(used)).first;
  }
  std::vector<int>& used = known->second;
  v8::Local<v8::String> name;
  if (!NewText(isolate, source.path).ToLocal(&name)) {
    return v8::MaybeLocal<v8::Module>();
  }
  std::string failure;  // why it could not be compiled, once known
  while (true) {
    // The module scope's names it uses (process, Buffer, self, the globals the sandbox's own
    // code lacks), as constants taken from import.meta on its first line; a name the module
    // declares itself is left out (V8 says which, and the module is compiled again).
    std::string text;
    if (!used.empty()) {
      text = "const {";
      for (size_t i = 0; i < used.size(); ++i) {
        text.append(i == 0 ? "" : ", ").append(scope_names[used[i]]);
      }
      text.append("} = import.meta[\"").append(kScopeKey).append("\"];");
    }
    text.append(body);
    v8::Local<v8::String> code;
    if (!NewText(isolate, text).ToLocal(&code)) {
      isolate->ThrowException(v8::Exception::RangeError(
          NewString(isolate, "a module's source is too long for this engine")));
      return v8::MaybeLocal<v8::Module>();
    }
    v8::ScriptOrigin origin = MakeScriptOrigin(isolate, name, 0, /*is_module=*/true);
    v8::ScriptCompiler::Source script_source(code, origin);
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::Module> module;
    if (v8::ScriptCompiler::CompileModule(isolate, &script_source).ToLocal(&module)) {
      return module;
    }
    if (try_catch.HasTerminated() || !try_catch.HasCaught()) {
      try_catch.ReThrow();
      return v8::MaybeLocal<v8::Module>();
    }
    std::string reason = ToUtf8(isolate, try_catch.Message()->Get());
    if (reason.rfind("Uncaught ", 0) == 0) {
      reason.erase(0, 9);
    }
    auto declared = std::find_if(used.begin(), used.end(), [&](int index) {
      return reason.find("Identifier '" + scope_names[index] + "' has already been declared") !=
             std::string::npos;
    });
    if (declared != used.end()) {
      used.erase(declared);
      continue;
    }
    const int line = try_catch.Message()->GetLineNumber(isolate->GetCurrentContext()).FromMaybe(0);
    failure = source.path + " is an ES module and could not be compiled: " + reason + " (line " +
              std::to_string(line) + ")";
    break;  // thrown below, once this TryCatch no longer catches it
  }
  // Says which file failed and that it is read as an ES module, with V8's reason.
  v8::Local<v8::String> message;
  if (NewText(isolate, failure).ToLocal(&message)) {
    isolate->ThrowException(v8::Exception::SyntaxError(message));
  }
  return v8::MaybeLocal<v8::Module>();
}

bool EsModuleLinker::Collect(v8::Local<v8::Context> context,
                             v8::Local<v8::Object> registry,
                             ContextModules* modules,
                             int root,
                             Graph* graph) {
  v8::Isolate* isolate = context->GetIsolate();
  const ModuleStore& store = loader_->store();
  // Breadth first, so a long chain of imports cannot run the native stack out.
  std::deque<int> pending = {root};
  while (!pending.empty()) {
    if (loader_->stopping()) {
      // Compiling does not see a termination: a graph of many files checks between them.
      // The termination already requested ends the run at V8's next check.
      return false;
    }
    const int file = pending.front();
    pending.pop_front();
    if (graph->by_file.count(file) != 0 || modules->by_file.count(file) != 0) {
      continue;
    }
    v8::Local<v8::Module> module;
    const bool es_module =
        loader_->IsEsModule(file) && !RanAsFunctions(context, registry, modules, file);
    if (!(es_module ? Compile(isolate, file) : Synthetic(context, registry, file))
             .ToLocal(&module)) {
      return false;
    }
    graph->by_file[file] = graph->nodes.size();
    graph->by_hash.emplace(module->GetIdentityHash(), graph->nodes.size());
    graph->nodes.push_back(Graph::Node{file, module, nullptr});
    if (!es_module) {
      continue;
    }
    // Where its imports lead is the same in every context: resolved once per isolate.
    auto known = requests_.find(file);
    if (known == requests_.end()) {
      Requests requests;
      v8::Local<v8::FixedArray> asked = module->GetModuleRequests();
      for (int i = 0; i < asked->Length(); ++i) {
        v8::Local<v8::Data> item = asked->Get(context, i);
        std::string specifier = ToUtf8(isolate, item.As<v8::ModuleRequest>()->GetSpecifier());
        const ModuleResolution resolution = store.Resolve(file, specifier, RequestKind::kImport);
        if (resolution.file < 0) {
          ThrowError(isolate, resolution.error + " (imported by " + store.file(file).path + ")");
          return false;
        }
        requests.emplace_back(std::move(specifier), resolution.file);
      }
      known = requests_.emplace(file, std::move(requests)).first;
    }
    graph->nodes.back().requests = &known->second;
    for (const auto& [specifier, target] : known->second) {
      pending.push_back(target);
    }
  }
  return true;
}

v8::MaybeLocal<v8::Array> EsModuleLinker::LinkedOf(v8::Local<v8::Context> context,
                                                   v8::Local<v8::Object> registry) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::String> key = NewString(isolate, "linked");
  v8::Local<v8::Value> held;
  if (!registry->Get(context, key).ToLocal(&held)) {
    return v8::MaybeLocal<v8::Array>();
  }
  if (held->IsArray()) {
    return held.As<v8::Array>();
  }
  v8::Local<v8::Array> linked = v8::Array::New(isolate);
  if (!registry->Set(context, key, linked).FromMaybe(false)) {
    return v8::MaybeLocal<v8::Array>();
  }
  return linked;
}

v8::MaybeLocal<v8::Value> EsModuleLinker::LinkAndEvaluate(v8::Local<v8::Context> context,
                                                          v8::Local<v8::Object> registry,
                                                          ContextModules* modules,
                                                          int file,
                                                          Purpose purpose) {
  v8::Isolate* isolate = context->GetIsolate();
  Graph graph;
  if (!Collect(context, registry, modules, file, &graph)) {
    return v8::MaybeLocal<v8::Value>();
  }
  v8::Local<v8::Module> root = graph.ModuleOf(file, modules, isolate);
  if (root.IsEmpty()) {
    ThrowError(isolate, "the ES module " + loader_->store().file(file).path + " is not available");
    return v8::MaybeLocal<v8::Value>();
  }
  if (root->GetStatus() == v8::Module::kUninstantiated) {
    modules->linking = &graph;
    const bool linked = root->InstantiateModule(context, ResolveImport).FromMaybe(false);
    modules->linking = nullptr;
    if (!linked) {
      return v8::MaybeLocal<v8::Value>();
    }
  }
  // Linked: the context holds them now, whatever their evaluation gives. The root's namespace
  // keeps it alive as long as the registry, hence the context, is; and the root keeps the
  // modules it imports.
  v8::Local<v8::Array> linked;
  if (!LinkedOf(context, registry).ToLocal(&linked) ||
      linked->Set(context, linked->Length(), root->GetModuleNamespace()).IsNothing()) {
    return v8::MaybeLocal<v8::Value>();
  }
  for (const Graph::Node& node : graph.nodes) {
    v8::Global<v8::Module> weak(isolate, node.module);
    weak.SetWeak();
    modules->by_file[node.file] = std::move(weak);
    modules->files_by_hash.emplace(node.module->GetIdentityHash(), node.file);
  }
  if (root->GetStatus() == v8::Module::kEvaluating) {
    // Asked for from inside its own evaluation (its body imports itself with import(), or a
    // module of its cycle that runs as functions needs it). V8 evaluates no module twice at
    // once (a fatal error): it gives the namespace as it is now, as a cycle of static imports
    // does (a binding not initialized yet throws when read), and is not kept as evaluated.
    return root->GetModuleNamespace();
  }
  v8::Local<v8::Value> evaluated;
  if (!root->Evaluate(context).ToLocal(&evaluated)) {
    return v8::MaybeLocal<v8::Value>();
  }
  v8::Local<v8::Value> name_space = root->GetModuleNamespace();
  if (evaluated->IsPromise()) {
    v8::Local<v8::Promise> promise = evaluated.As<v8::Promise>();
    switch (promise->State()) {
      case v8::Promise::kRejected:
        promise->MarkAsHandled();
        isolate->ThrowException(promise->Result());
        return v8::MaybeLocal<v8::Value>();
      case v8::Promise::kPending: {
        if (purpose == Purpose::kSynchronous) {
          promise->MarkAsHandled();
          ThrowError(isolate, "the ES module " + loader_->store().file(file).path +
                                  " uses top-level await, so it cannot be loaded synchronously; "
                                  "load it with `await import(...)`");
          return v8::MaybeLocal<v8::Value>();
        }
        // import() gets the namespace once the graph has finished.
        v8::Local<v8::Function> identity;
        v8::Local<v8::Promise> then;
        if (!v8::Function::New(
                 context,
                 [](const v8::FunctionCallbackInfo<v8::Value>& info) {
                   info.GetReturnValue().Set(info.Data());
                 },
                 name_space)
                 .ToLocal(&identity) ||
            !promise->Then(context, identity).ToLocal(&then)) {
          return v8::MaybeLocal<v8::Value>();
        }
        return then;
      }
      case v8::Promise::kFulfilled:
        break;
    }
  }
  // Evaluated: what require() and the recycled path hand out from now on (a module of the
  // graph asked for later is found linked and evaluated, and kept then).
  if (!registry->Set(context, EsNamespaceKey(isolate, file), name_space).FromMaybe(false)) {
    return v8::MaybeLocal<v8::Value>();
  }
  return name_space;
}

v8::MaybeLocal<v8::Module> EsModuleLinker::ResolveImport(v8::Local<v8::Context> context,
                                                         v8::Local<v8::String> specifier,
                                                         v8::Local<v8::FixedArray>,
                                                         v8::Local<v8::Module> referrer) {
  v8::Isolate* isolate = context->GetIsolate();
  ContextModules* modules = Find(context);
  if (modules == nullptr || modules->linking == nullptr) {
    ThrowError(isolate, "an ES module was linked outside its graph");
    return v8::MaybeLocal<v8::Module>();
  }
  const Graph& graph = *modules->linking;
  auto [first, last] = graph.by_hash.equal_range(referrer->GetIdentityHash());
  for (auto it = first; it != last; ++it) {
    const Graph::Node& node = graph.nodes[it->second];
    if (node.module != referrer || node.requests == nullptr) {
      continue;
    }
    const std::string asked = ToUtf8(isolate, specifier);
    for (const auto& [each, file] : *node.requests) {
      if (each == asked) {
        v8::Local<v8::Module> target = graph.ModuleOf(file, modules, isolate);
        if (!target.IsEmpty()) {
          return target;
        }
      }
    }
    break;
  }
  ThrowError(isolate, "Cannot find module '" + ToUtf8(isolate, specifier) + "'");
  return v8::MaybeLocal<v8::Module>();
}

void EsModuleLinker::InitializeImportMeta(v8::Local<v8::Context> context,
                                          v8::Local<v8::Module> module,
                                          v8::Local<v8::Object> meta) {
  v8::Isolate* isolate = context->GetIsolate();
  ContextModules* modules = Find(context);
  const int file = modules == nullptr ? -1 : modules->FileOf(isolate, module);
  if (file < 0) {
    return;
  }
  // A virtual file URL: no host path ever shows.
  v8::Local<v8::String> url;
  if (NewText(isolate, "file://" + modules->linker->loader_->store().file(file).path)
          .ToLocal(&url)) {
    meta->CreateDataProperty(context, NewString(isolate, "url"), url).FromMaybe(false);
  }
  // Where the module's first line takes its scope's names from (see Compile).
  v8::Local<v8::Object> scope;
  if (ModuleLoader::ScopeObjectOf(context).ToLocal(&scope)) {
    meta->DefineOwnProperty(context, NewString(isolate, kScopeKey), scope, v8::DontEnum)
        .FromMaybe(false);
  }
}

}  // namespace ci
