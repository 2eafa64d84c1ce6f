#ifndef CODE_INTERPRETER_CORE_MODULES_MODULE_LOADER_H_
#define CODE_INTERPRETER_CORE_MODULES_MODULE_LOADER_H_

#include <v8.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/engine/termination_state.h"
#include "core/modules/module_store.h"

namespace ci {

/**
 * CommonJS `require` for one isolate, over a sandbox's ModuleStore. Each context gets a
 * `require` global and a registry of its own (module instances live and die with their
 * context); compiled module code is kept per isolate, so a module's source is compiled once and
 * every context only runs it. Module code runs as the sandbox's code does, under the same
 * limits and with no string code generation, wrapped in a function that receives `exports`,
 * `require`, `module`, `__filename`, `__dirname` (virtual paths) and `global`.
 *
 * In V8's side-effect-free mode (a recycled attempt, core/run/recycled_run.h) `require` only hands
 * out modules the context already holds: loading one would change the context, so the attempt
 * is declined instead. Use with the isolate locked and entered.
 */
class ModuleLoader {
 public:
  // `execution` is the isolate's running execution, which a `require` in a recycled attempt may
  // decline.
  ModuleLoader(std::shared_ptr<const ModuleStore> store, ExecutionControl* execution)
      : store_(std::move(store)), execution_(execution) {}
  ~ModuleLoader();
  ModuleLoader(const ModuleLoader&) = delete;
  ModuleLoader& operator=(const ModuleLoader&) = delete;

  // What module code sees of a context whose globals a custom policy filtered: the removed
  // intrinsics (bound by name as the module function's parameters) and a `global` object
  // that still has every original global. Empty for an unfiltered context. Then globals that
  // module code has and the sandbox's own code does not (the web platform globals at strict),
  // as properties of `lazy` read when a module whose source names one runs: bound by name as
  // further parameters, undefined in a module that never names them.
  struct Scope {
    std::vector<std::string> names;
    v8::Local<v8::Array> values;
    v8::Local<v8::Object> global;
    std::vector<std::string> lazy_names;
    v8::Local<v8::Object> lazy;
  };

  // Gives a new context its `require` and an empty registry. False if V8 refused. The scope's
  // names must be the same for every context of the isolate.
  bool Install(v8::Local<v8::Context> context, const Scope& scope);

  // The modules the sandbox's own code asked for since ResetRecord(), first request first;
  // what a recycled attempt must match to keep its context.
  void ResetRecord();
  const std::vector<int>& requested() const { return requested_; }
  // A request of the sandbox's code failed (not found, or the module threw).
  bool request_failed() const { return request_failed_; }
  // Time the sandbox's code spent in require() since ResetRecord(): what a pristine context
  // that holds the modules saves.
  double load_ms() const { return load_ms_; }

  // Loads `files`, in order, into `context` as the sandbox's code requiring them would. False
  // when one threw or the run was stopped.
  bool Preload(v8::Local<v8::Context> context, const std::vector<int>& files);

 private:
  static void Require(const v8::FunctionCallbackInfo<v8::Value>& info);
  v8::MaybeLocal<v8::Function> NewRequire(v8::Local<v8::Context> context,
                                          v8::Local<v8::Object> registry,
                                          int from_file);
  // A module's exports, loading it into `registry` first if needed.
  v8::MaybeLocal<v8::Value> Load(v8::Local<v8::Context> context,
                                 v8::Local<v8::Object> registry,
                                 int file);
  v8::MaybeLocal<v8::Value> Evaluate(v8::Local<v8::Context> context,
                                     v8::Local<v8::Object> registry,
                                     v8::Local<v8::Object> module,
                                     int file);
  // The file's module function, bound to `context`.
  v8::MaybeLocal<v8::Function> ModuleFunction(v8::Local<v8::Context> context, int file);
  void Record(int file);

  struct CompiledModule {
    v8::Global<v8::UnboundScript> script;
    int function_length = 0;  // what the wrapper's function must span
    bool checked = false;
    std::vector<bool> names_lazy;  // by Scope::lazy_names: whether its source names each
  };

  std::shared_ptr<const ModuleStore> store_;
  ExecutionControl* const execution_;
  std::unordered_map<int, CompiledModule> compiled_;
  std::vector<int> requested_;
  std::string header_;  // the module function's wrapper, up to its body
  std::vector<std::string> lazy_names_;
  bool request_failed_ = false;
  double load_ms_ = 0;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_MODULES_MODULE_LOADER_H_
