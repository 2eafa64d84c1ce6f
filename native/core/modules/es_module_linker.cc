#include "core/modules/es_module_linker.h"

#include <string>
#include <vector>

#include "core/engine/compat/synthetic_module.h"
#include "core/engine/v8_text.h"
#include "core/modules/es_module_v8_linking.h"
#include "core/modules/module_loader.h"

// The path a graph takes (run as functions when it qualifies, linked by V8 otherwise) and the
// synthetic modules that stand in V8's graphs for what V8 does not link: a CommonJS or JSON
// module, an ES module the context ran as functions. V8's linking is es_module_v8_linking.cc.

namespace ci {

EsModuleLinker::EsModuleLinker(ModuleLoader* loader) : loader_(loader), functions_(loader) {}

EsModuleLinker::~EsModuleLinker() {
  contexts_.clear();
}

v8::MaybeLocal<v8::Value> EsModuleLinker::Namespace(v8::Local<v8::Context> context,
                                                    v8::Local<v8::Object> registry,
                                                    int file,
                                                    Purpose purpose) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::EscapableHandleScope scope(isolate);
  v8::Local<v8::Value> done;
  if (registry->Get(context, EsNamespaceKey(isolate, file)).ToLocal(&done) && done->IsObject()) {
    return scope.Escape(done);
  }
  ContextModules* modules = ModulesOf(context, registry);
  if (modules == nullptr) {
    return v8::MaybeLocal<v8::Value>();
  }
  if (modules->linking != nullptr) {
    // A CommonJS module that an ES module graph runs while it is linked asks for an ES module
    // of that graph: it cannot be evaluated before its own graph is.
    ThrowError(isolate, "Cannot load the ES module " + loader_->store().file(file).path +
                            " while the graph that imports it is being linked (a cycle through "
                            "a CommonJS module)");
    return v8::MaybeLocal<v8::Value>();
  }
  if (functions_.Evaluating(file)) {
    ThrowError(isolate, "Cannot load the ES module " + loader_->store().file(file).path +
                            " while the graph that imports it is being evaluated (a cycle "
                            "through a CommonJS module)");
    return v8::MaybeLocal<v8::Value>();
  }
  auto held_natively = [modules](int each) { return modules->by_file.count(each) != 0; };
  std::vector<int> order;
  if (!held_natively(file) && functions_.Plan(context, registry, file, held_natively, &order)) {
    v8::Local<v8::Value> evaluated;
    if (!functions_
             .Evaluate(context, registry, order, held_natively,
                       [&](int each) {
                         return Namespace(context, registry, each, Purpose::kSynchronous);
                       })
             .ToLocal(&evaluated)) {
      return v8::MaybeLocal<v8::Value>();
    }
    return scope.Escape(evaluated);
  }
  v8::Local<v8::Value> linked;
  if (!LinkAndEvaluate(context, registry, modules, file, purpose).ToLocal(&linked)) {
    return v8::MaybeLocal<v8::Value>();
  }
  return scope.Escape(linked);
}

v8::MaybeLocal<v8::Object> EsModuleLinker::SyntheticExports(v8::Local<v8::Context> context,
                                                            v8::Local<v8::Object> registry,
                                                            int file) {
  v8::Local<v8::Value> held;
  if (!loader_->HeldNamespace(context, registry, file).ToLocal(&held) || !held->IsObject()) {
    return v8::MaybeLocal<v8::Object>();
  }
  return held.As<v8::Object>();
}

bool EsModuleLinker::RanAsFunctions(v8::Local<v8::Context> context,
                                    v8::Local<v8::Object> registry,
                                    ContextModules* modules,
                                    int file) {
  v8::Local<v8::Value> held;
  return modules->by_file.count(file) == 0 &&
         registry->Get(context, EsNamespaceKey(context->GetIsolate(), file)).ToLocal(&held) &&
         held->IsObject();
}

v8::MaybeLocal<v8::Module> EsModuleLinker::Synthetic(v8::Local<v8::Context> context,
                                                     v8::Local<v8::Object> registry,
                                                     int file) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Object> values;
  v8::Local<v8::Array> names;
  if (!SyntheticExports(context, registry, file).ToLocal(&values) ||
      !values->GetOwnPropertyNames(context).ToLocal(&names)) {
    return v8::MaybeLocal<v8::Module>();
  }
  std::vector<v8::Local<v8::String>> exports;
  exports.reserve(names->Length());
  for (uint32_t i = 0; i < names->Length(); ++i) {
    v8::Local<v8::Value> name;
    if (!names->Get(context, i).ToLocal(&name)) {
      return v8::MaybeLocal<v8::Module>();
    }
    if (name->IsString()) {
      exports.push_back(name.As<v8::String>());
    }
  }
  v8::Local<v8::String> module_name;
  if (!NewText(isolate, loader_->store().file(file).path).ToLocal(&module_name)) {
    return v8::MaybeLocal<v8::Module>();
  }
  return NewSyntheticModule(isolate, module_name, exports, EvaluateSynthetic);
}

v8::MaybeLocal<v8::Value> EsModuleLinker::EvaluateSynthetic(v8::Local<v8::Context> context,
                                                            v8::Local<v8::Module> module) {
  v8::Isolate* isolate = context->GetIsolate();
  ContextModules* modules = Find(context);
  const int file = modules == nullptr ? -1 : modules->FileOf(isolate, module);
  v8::Local<v8::Object> registry;
  v8::Local<v8::Object> values;
  v8::Local<v8::Array> names;
  if (file < 0 || !ModuleLoader::RegistryOf(context).ToLocal(&registry) ||
      !modules->linker->SyntheticExports(context, registry, file).ToLocal(&values) ||
      !values->GetOwnPropertyNames(context).ToLocal(&names)) {
    if (!isolate->IsExecutionTerminating() && file < 0) {
      ThrowError(isolate, "a CommonJS module imported by an ES module was lost");
    }
    return v8::MaybeLocal<v8::Value>();
  }
  for (uint32_t i = 0; i < names->Length(); ++i) {
    v8::Local<v8::Value> name;
    v8::Local<v8::Value> value;
    if (!names->Get(context, i).ToLocal(&name) || !name->IsString() ||
        !values->Get(context, name).ToLocal(&value) ||
        !module->SetSyntheticModuleExport(isolate, name.As<v8::String>(), value).FromMaybe(false)) {
      return v8::MaybeLocal<v8::Value>();
    }
  }
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver) ||
      resolver->Resolve(context, v8::Undefined(isolate)).IsNothing()) {
    return v8::MaybeLocal<v8::Value>();
  }
  return resolver->GetPromise();
}

}  // namespace ci
