#include "core/run/compiled_run.h"

#include <chrono>
#include <string_view>

#include "core/engine/clock.h"
#include "core/run/code_compiler.h"
#include "core/run/context_globals.h"
#include "core/run/outcome_writer.h"

namespace ci {

CachedScript* CompiledRun::Run(const ContextLease& lease) {
  v8::Isolate* isolate = holder_.isolate();
  v8::Local<v8::Context> context = lease.context;
  OutcomeWriter writer(holder_, request_, outcome_, context, lease.microtasks);
  CodeCompiler compiler(writer);
  if (!InjectContextGlobals(writer, request_)) {
    writer.DrainLeftovers();
    return nullptr;
  }
  std::string_view code(request_.code, request_.code_length);
  const bool use_cache = holder_.config().cache_scripts;
  CachedScript* cached = use_cache ? holder_.scripts().Find(code) : nullptr;
  CompiledCode compiled;
  if (cached != nullptr) {
    compiled = CodeCompiler::FromCache(isolate, *cached);
  } else {
    holder_.counters().CountCompilation();
    const Clock::time_point started = Clock::now();
    const bool compiled_ok = compiler.Compile(code, &compiled);
    compile_ms_ = MsSince(started);
    if (!compiled_ok) {
      writer.DrainLeftovers();
      return nullptr;
    }
    if (use_cache) {
      cached = holder_.scripts().Insert(isolate, code, compiled.script, compiled.form,
                                        compiled.wrapper_length);
      if (cached != nullptr && holder_.config().ledger) {
        holder_.config().ledger->Seed(code, cached);  // what the pool's other isolates learned
      }
    }
  }
  // In the persistent context, what this code was bound to last time is reused. Not for a
  // script that may declare top-level let/const/class: V8 10.2 crashes re-running such a
  // Script object (instead of reporting the redeclaration).
  const bool reuse =
      holder_.config().persistent_context && cached != nullptr &&
      (compiled.form != CodeForm::kScript || !CodeCompiler::MayDeclareLexically(code));
  const bool bound_here =
      reuse && !cached->bound_context.IsEmpty() && cached->bound_context.Get(isolate) == context;
  v8::Local<v8::Value> result;
  bool ran;
  if (compiled.form == CodeForm::kScript) {
    v8::Local<v8::Script> script =
        bound_here ? cached->bound_script.Get(isolate) : compiled.script->BindToCurrentContext();
    if (reuse && !bound_here) {
      cached->bound_context.Reset(isolate, context);
      cached->bound_script.Reset(isolate, script);
    }
    ran = script->Run(context).ToLocal(&result) || writer.FailWithException();
  } else {
    v8::Local<v8::Function> function;
    if (bound_here) {
      function = cached->bound_function.Get(isolate);
    } else if (compiler.BindFunction(compiled, &function) && reuse) {
      cached->bound_context.Reset(isolate, context);
      cached->bound_function.Reset(isolate, function);
    }
    ran = !function.IsEmpty() &&
          (function->Call(context, v8::Undefined(isolate), 0, nullptr).ToLocal(&result) ||
           writer.FailWithException());
  }
  if (ran) {
    writer.Finish(result);
  } else {
    writer.DrainLeftovers();
  }
  return cached;
}

}  // namespace ci
