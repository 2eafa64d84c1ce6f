#ifndef CODE_INTERPRETER_CORE_MODULES_ES_MODULE_FUNCTIONS_H_
#define CODE_INTERPRETER_CORE_MODULES_ES_MODULE_FUNCTIONS_H_

#include <v8.h>

#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/modules/es_module_source.h"

namespace ci {

class ModuleLoader;

// The registry key of an ES module's namespace in a context, once it has been evaluated
// (by V8's linking or as functions).
v8::Local<v8::Value> EsNamespaceKey(v8::Isolate* isolate, int file);

/**
 * ES modules run as functions (es_module_source.h), for one isolate. A graph qualifies when
 * every ES module in it that the context does not hold yet does, and they form no cycle; each
 * such module then runs once per context, its dependencies first, in the order V8's linking
 * would evaluate them, and its namespace is a frozen object of the values its exports have
 * once it has run: what reading the namespace of a module linked by V8 gives from then on,
 * since none of those bindings changes after that.
 *
 * Why: V8's side-effect-free evaluation refuses every read of a module variable, so a call
 * into a module linked by V8 always takes a new context in fresh mode. Functions read their
 * imports as ordinary variables, which it accepts.
 *
 * Each module is compiled once per isolate. Use with the isolate locked and a context entered.
 */
class EsModuleFunctions {
 public:
  // What a context holds already as a module linked by V8 (then it is asked for through
  // `native_namespace`, which links and evaluates it if needed).
  using HeldNatively = std::function<bool(int file)>;
  using NativeNamespace = std::function<v8::MaybeLocal<v8::Value>(int file)>;

  explicit EsModuleFunctions(ModuleLoader* loader);
  ~EsModuleFunctions();
  EsModuleFunctions(const EsModuleFunctions&) = delete;
  EsModuleFunctions& operator=(const EsModuleFunctions&) = delete;

  // The files to evaluate, dependencies first, for the graph of `file` run as functions; false
  // when the graph does not qualify (V8 then links it).
  bool Plan(v8::Local<v8::Context> context,
            v8::Local<v8::Object> registry,
            int file,
            const HeldNatively& held_natively,
            std::vector<int>* order);

  // Evaluates `order` (from Plan) and gives the namespace of its last file. Empty, with an
  // exception thrown, when a module threw or an import names an export that does not exist.
  v8::MaybeLocal<v8::Value> Evaluate(v8::Local<v8::Context> context,
                                     v8::Local<v8::Object> registry,
                                     const std::vector<int>& order,
                                     const HeldNatively& held_natively,
                                     const NativeNamespace& native_namespace);

  // Whether `file` is being evaluated as part of a graph (a CommonJS module of that graph that
  // asks for it cannot have it yet).
  bool Evaluating(int file) const { return evaluating_.count(file) != 0; }

 private:
  struct Compiled;

  // The module `file` read and compiled, once per isolate; null when it does not qualify.
  Compiled* Prepare(v8::Isolate* isolate, int file);
  v8::MaybeLocal<v8::Value> Run(v8::Local<v8::Context> context,
                                v8::Local<v8::Object> registry,
                                int file);
  // The namespace of `file` the context holds (an ES module's, or a CommonJS module's).
  v8::MaybeLocal<v8::Object> HeldNamespace(v8::Local<v8::Context> context,
                                           v8::Local<v8::Object> registry,
                                           int file);

  ModuleLoader* const loader_;
  std::unordered_map<int, std::unique_ptr<Compiled>> compiled_;  // by file; null: does not qualify
  std::unordered_set<int> evaluating_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_MODULES_ES_MODULE_FUNCTIONS_H_
