#ifndef CODE_INTERPRETER_CORE_MODULES_ES_MODULE_LINKER_H_
#define CODE_INTERPRETER_CORE_MODULES_ES_MODULE_LINKER_H_

#include <v8.h>

#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/modules/es_module_functions.h"
#include "core/modules/module_store.h"

namespace ci {

class ModuleLoader;

/**
 * ES modules for one isolate: compiles a module's graph in a context, links it (its imports
 * resolved over the ModuleStore with the import conditions) and evaluates it. A graph that
 * qualifies runs as functions instead (es_module_functions.h), which a recycled context can
 * serve; an ES module run so stands in a graph V8 links as a synthetic module of its
 * namespace. A CommonJS or
 * JSON file an ES module imports stands in as a synthetic module whose exports are `default`
 * (its module.exports) and each own enumerable key of it, as Node gives them.
 *
 * Module instances live and die with their context: each context's modules are held by their
 * namespaces in the context's registry (ModuleLoader), and this class keeps only weak handles
 * to find them again by file. Use with the isolate locked and a context entered.
 */
class EsModuleLinker {
 public:
  explicit EsModuleLinker(ModuleLoader* loader);
  ~EsModuleLinker();
  EsModuleLinker(const EsModuleLinker&) = delete;
  EsModuleLinker& operator=(const EsModuleLinker&) = delete;

  // Why a graph is evaluated: for a caller that cannot wait (require() and the sandbox's
  // import declarations: a graph with top-level await is refused) or for import().
  enum class Purpose { kSynchronous, kDynamicImport };

  // The namespace of the ES module `file` in `context` (whose module registry is `registry`),
  // its graph linked and evaluated first when needed. For kDynamicImport the result may be a
  // promise of it. Empty, with an exception thrown, when that failed.
  v8::MaybeLocal<v8::Value> Namespace(v8::Local<v8::Context> context,
                                      v8::Local<v8::Object> registry,
                                      int file,
                                      Purpose purpose);

  // V8's callbacks, installed on every isolate (core/isolate/isolate_holder.cc).
  static void InitializeImportMeta(v8::Local<v8::Context> context,
                                   v8::Local<v8::Module> module,
                                   v8::Local<v8::Object> meta);

 private:
  // The modules of one context, by file; weak (their namespaces in the registry hold them).
  // Defined in es_module_v8_linking.h.
  struct ContextModules;
  // One graph being linked: the modules compiled for it and where each request leads.
  struct Graph;
  // An ES module's import specifiers and the files they lead to.
  using Requests = std::vector<std::pair<std::string, int>>;

  // The registry's array of every linked module's namespace (which holds the module).
  static v8::MaybeLocal<v8::Array> LinkedOf(v8::Local<v8::Context> context,
                                            v8::Local<v8::Object> registry);

  ContextModules* ModulesOf(v8::Local<v8::Context> context, v8::Local<v8::Object> registry);
  static ContextModules* Find(v8::Local<v8::Context> context);
  // Compiles (or makes the synthetic module of) every file the graph of `root` needs that the
  // context does not hold yet. False with an exception thrown when one failed.
  bool Collect(v8::Local<v8::Context> context,
               v8::Local<v8::Object> registry,
               ContextModules* modules,
               int root,
               Graph* graph);
  v8::MaybeLocal<v8::Module> Compile(v8::Isolate* isolate, int file);
  // What Namespace gives for a graph that does not run as functions: V8's linking of it
  // (es_module_v8_linking.cc), its modules collected, instantiated, kept by the context and
  // evaluated.
  v8::MaybeLocal<v8::Value> LinkAndEvaluate(v8::Local<v8::Context> context,
                                            v8::Local<v8::Object> registry,
                                            ContextModules* modules,
                                            int file,
                                            Purpose purpose);
  v8::MaybeLocal<v8::Module> Synthetic(v8::Local<v8::Context> context,
                                       v8::Local<v8::Object> registry,
                                       int file);
  static v8::MaybeLocal<v8::Module> ResolveImport(v8::Local<v8::Context> context,
                                                  v8::Local<v8::String> specifier,
                                                  v8::Local<v8::FixedArray> assertions,
                                                  v8::Local<v8::Module> referrer);
  static v8::MaybeLocal<v8::Value> EvaluateSynthetic(v8::Local<v8::Context> context,
                                                     v8::Local<v8::Module> module);
  // What a synthetic module of `file` exports: a CommonJS module's namespace, or the
  // namespace of an ES module this context ran as functions.
  v8::MaybeLocal<v8::Object> SyntheticExports(v8::Local<v8::Context> context,
                                              v8::Local<v8::Object> registry,
                                              int file);
  // Whether the context holds `file` as an ES module it ran as functions.
  static bool RanAsFunctions(v8::Local<v8::Context> context,
                             v8::Local<v8::Object> registry,
                             ContextModules* modules,
                             int file);

  ModuleLoader* const loader_;
  EsModuleFunctions functions_;  // the graphs that qualify run as functions
  std::list<std::unique_ptr<ContextModules>> contexts_;
  std::unordered_map<int, Requests> requests_;  // by file, resolved once per isolate
  // By file: the indexes into ModuleLoader::scope_names() its first line declares.
  std::unordered_map<int, std::vector<int>> scope_names_used_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_MODULES_ES_MODULE_LINKER_H_
