#include "core/run/recycled_run.h"

#include <algorithm>
#include <string_view>
#include <tuple>

#include "core/engine/clock.h"
#include "core/engine/side_effect_free.h"
#include "core/run/code_compiler.h"
#include "core/run/context_globals.h"
#include "core/run/outcome_writer.h"
#include "core/run/pristine_preload.h"
#include "core/run/recycling_rules.h"

namespace ci {
namespace {

// Set by the promise hook while an attempt runs (on the thread running it).
thread_local bool promise_seen = false;
void NotePromise(v8::PromiseHookType, v8::Local<v8::Promise>, v8::Local<v8::Value>) {
  promise_seen = true;
}

// A script with top-level let/const/class runs on the recycled context as a block. A block is
// the same program for them only when the script is sloppy (a "use strict" prologue would be a
// plain expression in a block) and its declarations passed the global checks once (a block
// would let `let undefined` through, which a script refuses).
bool RunsAsBlock(const CachedScript& cached, std::string_view code) {
  return cached.form == CodeForm::kScript && cached.completed &&
         CodeCompiler::MayDeclareLexically(code) &&
         code.find("use strict") == std::string_view::npos;
}

/** One attempt on the pristine context. */
class Attempt {
 public:
  Attempt(IsolateHolder& holder,
          const ExecutionRequest& request,
          Outcome* outcome,
          v8::Local<v8::Context> context,
          v8::MicrotaskQueue* microtasks,
          CachedScript* cached)
      : holder_(holder),
        isolate_(holder.isolate()),
        request_(request),
        context_(context),
        cached_(cached),
        writer_(holder, request, outcome, context, microtasks),
        globals_(holder) {}

  Recycling Run(Clock::duration budget, Clock::time_point deadline, uint64_t execution_id) {
    if (!globals_.Install(context_, request_)) {
      cached_->speculation = Speculation::kRefused;  // a custom global named `context`
      cached_->refused_for_misses = false;
      return Decline();
    }
    v8::Local<v8::Script> script;
    v8::Local<v8::Function> function;
    if (!Prepare(&script, &function)) {
      return Decline();
    }
    const bool first_attempt = cached_->speculation == Speculation::kUntried;
    const Clock::time_point started = Clock::now();
    promise_seen = false;
    isolate_->SetPromiseHook(NotePromise);
    TerminationState* termination = &holder_.termination();
    termination->BeginAttempt(budget, deadline, execution_id);
    v8::MaybeLocal<v8::Value> completion = script.IsEmpty()
                                               ? CallWithoutSideEffects(context_, function)
                                               : RunScriptWithoutSideEffects(isolate_, script);
    const double wall_ms = MsSince(started);
    const bool stopped = termination->EndAttempt(deadline, execution_id);
    isolate_->SetPromiseHook(nullptr);
    // Collections that fell in the attempt: their own time was not charged to its budget; what
    // they leave to the code's allocations (incremental marking, a heap growing until a full
    // collection) was.
    const int collections_seen = termination->AttemptCollections();
    if (holder_.stopping()) {
      return Recycling::kSpent;  // timed out, killed or out of memory: that is the outcome
    }
    v8::Local<v8::Value> result;
    if (stopped) {
      const double budget_ms = std::chrono::duration<double, std::milli>(budget).count();
      const double cpu_ms = termination->AttemptCpuMs();
      if (cpu_ms < kPreemptedShareOfBudget * budget_ms && Clock::now() >= deadline) {
        return Decline();  // the execution's own deadline ended it, with budget left
      }
      // Every attempt leaves a little in the heap until a full collection (V8's mode, not the
      // code), so collections fall in attempts now and then, and leave work to the attempt's
      // allocations: such a stop says little of the code.
      if (collections_seen > 0 && ++cached_->stops_with_collection < kMaxStopsWithCollection) {
        return Decline();
      }
      if (cpu_ms >= kPreemptedShareOfBudget * budget_ms &&
          cached_->code_ms > kShortShareOfBudget * budget_ms) {
        cached_->lost = true;  // too long for the recycled path, not unlucky
      }
    }
    if (stopped || !completion.ToLocal(&result)) {
      // A side effect, an exception or the budget (often a collection or a preemption that
      // fell in the attempt) may depend on the data or the moment: code is refused only after
      // several attempts in a row that did not keep the context.
      CountMiss(cached_);
      return Decline();
    }
    cached_->speculation = Speculation::kRecyclable;
    if (holder_.modules() != nullptr && holder_.modules()->requested() != cached_->modules) {
      CountMiss(cached_);
      return Decline();
    }
    if (!promise_seen && ConvertWithoutScript(result) && globals_.Remove(context_)) {
      // The mode checks every call and allocation: call-heavy code can take longer this way
      // than in a new context. Such an attempt counts as a miss (a first attempt also
      // instruments the code, so it is not judged).
      // Judged by its CPU time, collections left out, when its wall time is too long: a busy
      // machine's preemptions lengthen the wall time, and three such in a row refused code
      // that paid. (The wall time is the cheaper reading, and never the shorter.)
      const double new_context_ms = holder_.recycling().new_context_ms();
      double took_ms = wall_ms;
      if ((!first_attempt && took_ms > cached_->compiled_run_ms) ||
          (new_context_ms >= 0 && took_ms > new_context_ms)) {
        took_ms = termination->AttemptCpuMs();
      }
      cached_->stops_with_collection = 0;
      if (!first_attempt && took_ms > cached_->compiled_run_ms && collections_seen == 0) {
        CountMiss(cached_);
      } else {
        cached_->misses_in_a_row = 0;
        if (new_context_ms >= 0 && took_ms > new_context_ms) {
          cached_->slow_keeps++;
        }
      }
      return Recycling::kKept;
    }
    CountMiss(cached_);  // a run that ends here costs a new pristine context next time
    // Settling and converting may run script (reactions, getters, toJSON) outside the check.
    writer_.Finish(result);
    return Recycling::kSpent;
  }

 private:
  // The cache entry's code bound to the pristine context. Binding a function body runs only
  // its wrapper, which creates the function: the body was proven to be one when compiled.
  bool Prepare(v8::Local<v8::Script>* script, v8::Local<v8::Function>* function) {
    std::string_view code(request_.code, request_.code_length);
    if (cached_->form != CodeForm::kScript) {
      CodeCompiler compiler(writer_);
      return compiler.BindFunction(CodeCompiler::FromCache(isolate_, *cached_), function);
    }
    v8::Local<v8::UnboundScript> unbound = cached_->script.Get(isolate_);
    if (RunsAsBlock(*cached_, code)) {
      if (cached_->block_script.IsEmpty()) {
        if (!CodeCompiler::CompileAsBlock(isolate_, code).ToLocal(&unbound)) {
          return false;
        }
        cached_->block_script.Reset(isolate_, unbound);
      }
      unbound = cached_->block_script.Get(isolate_);
    }
    *script = unbound->BindToCurrentContext();
    return true;
  }

  Recycling Decline() {
    writer_.try_catch().Reset();
    return Recycling::kDeclined;
  }

  // Converts `result` with V8 forbidding any call into script (a getter, toJSON or proxy trap
  // would make one). False, with the outcome cleared, when a call was needed: only then can
  // the conversion have changed the context.
  bool ConvertWithoutScript(v8::Local<v8::Value> result) {
    if (!result->IsObject()) {
      writer_.Convert(result);  // primitives convert without running any script
      return true;
    }
    {
      v8::Isolate::DisallowJavascriptExecutionScope no_script(
          isolate_, v8::Isolate::DisallowJavascriptExecutionScope::THROW_ON_FAILURE);
      v8::TryCatch attempt(isolate_);
      writer_.Convert(result);
      if (!attempt.HasCaught() && writer_.outcome()->kind == OutcomeKind::kValue) {
        return true;
      }
    }
    *writer_.outcome() = Outcome();
    return false;
  }

  IsolateHolder& holder_;
  v8::Isolate* isolate_;
  const ExecutionRequest& request_;
  v8::Local<v8::Context> context_;
  CachedScript* cached_;
  OutcomeWriter writer_;
  LazyContextGlobals globals_;
};

// Compiles the code on this isolate, which never ran it (another isolate of the pool did:
// core/isolate/code_ledger.h), into its cache with what the pool learned. Null when it cannot be
// tried here after all. Use with `context` entered.
CachedScript* CompileHere(IsolateHolder& holder,
                          const ExecutionRequest& request,
                          const ContextLease& lease) {
  Outcome scratch;  // a failure here is only a reason not to try
  OutcomeWriter writer(holder, request, &scratch, lease.context, lease.microtasks);
  const std::string_view code(request.code, request.code_length);
  CompiledCode compiled;
  holder.counters().CountCompilation();
  if (!CodeCompiler(writer).Compile(code, &compiled)) {
    writer.try_catch().Reset();
    return nullptr;
  }
  CachedScript* cached = holder.scripts().Insert(holder.isolate(), code, compiled.script,
                                                 compiled.form, compiled.wrapper_length);
  if (cached == nullptr) {
    return nullptr;
  }
  holder.config().ledger->Seed(code, cached);
  const bool may_try =
      cached->form != CodeForm::kAsyncFunctionBody && cached->speculation != Speculation::kRefused;
  return may_try ? cached : nullptr;
}

/**
 * Whether `request` may try the pristine context, with the attempt's budget. `*cached` is this
 * isolate's cache entry; null when only another isolate of the pool ran the code, whose
 * knowledge is then in `learned` (the attempt compiles the code here first).
 */
bool Candidate(IsolateHolder& holder,
               const ExecutionRequest& request,
               Clock::time_point deadline,
               Clock::duration* budget,
               CachedScript** cached,
               CodeLedger::Knowledge* learned) {
  if (!kSideEffectFreeEvaluation || !holder.config().cache_scripts ||
      holder.config().persistent_context) {
    return false;
  }
  if (request.context_wire != nullptr && request.context_keys == nullptr) {
    return false;  // its globals are only known for a plain dict
  }
  const std::string_view code(request.code, request.code_length);
  *cached = holder.scripts().Find(code);
  CachedScript* entry = *cached;
  if (entry == nullptr) {
    // The first run of any code in the pool takes a new context.
    const CodeLedger* ledger = holder.config().ledger.get();
    return ledger != nullptr && ledger->Read(code, learned) &&
           MayAttempt(holder, learned->speculation, learned->code_ms, learned->lost, deadline,
                      budget);
  }
  if (entry->slow_keeps >= kSlowKeepsBeforeRemeasuring) {
    return false;  // measured anew in a new context (NoteCompiledRun)
  }
  if (entry->form == CodeForm::kAsyncFunctionBody) {
    entry->speculation = Speculation::kRefused;  // it awaits, which the mode refuses
    entry->refused_for_misses = false;
    return false;
  }
  return MayAttempt(holder, entry->speculation, entry->code_ms, entry->lost, deadline, budget);
}

// What entering and leaving the mode costs now: the least of three calls of a function that
// does nothing, in the thread's CPU time (a preemption in all three, on a busy machine, once
// read as wear and retired the isolate).
double MeasureAttemptOverheadMs(v8::Local<v8::Context> context) {
  v8::Local<v8::Function> nothing;
  if (!v8::Function::New(
           context, [](const v8::FunctionCallbackInfo<v8::Value>&) {}, v8::Local<v8::Value>(), 0,
           v8::ConstructorBehavior::kThrow, v8::SideEffectType::kHasNoSideEffect)
           .ToLocal(&nothing)) {
    return -1;
  }
  double least = -1;
  for (int i = 0; i < 3; ++i) {
    const double started_ms = ThreadCpuMs();
    if (CallWithoutSideEffects(context, nothing).IsEmpty()) {
      return -1;
    }
    const double ms = ThreadCpuMs() - started_ms;
    least = least < 0 ? ms : std::min(least, ms);
  }
  return least;
}

}  // namespace

RecycledRun::Tried RecycledRun::Try(IsolateHolder& holder,
                                    const ExecutionRequest& request,
                                    uint64_t execution_id,
                                    Clock::time_point deadline,
                                    Outcome* outcome) {
  Clock::duration budget{};
  CachedScript* cached = nullptr;
  CodeLedger::Knowledge learned;
  if (!Candidate(holder, request, deadline, &budget, &cached, &learned)) {
    return Tried{Recycling::kNotTried};
  }
  const Clock::time_point started = Clock::now();
  const std::vector<int> modules = cached != nullptr ? cached->modules : learned.modules;
  bool made = false;
  ContextLease pristine = holder.contexts().PristineContext(modules, &made);
  if (pristine.context.IsEmpty()) {
    holder.contexts().DiscardPristine(modules);
    return Tried{Recycling::kNotTried};
  }
  if (made && !pristine.prepared) {
    holder.recycling().NoteNewContext(MsSince(started));  // often the isolate's second context
  }
  Recycling recycling = Recycling::kDeclined;
  {
    v8::Context::Scope context_scope(pristine.context);
    if (cached == nullptr && (cached = CompileHere(holder, request, pristine)) == nullptr) {
      return Tried{Recycling::kNotTried};  // the pristine context is untouched: kept for another
    }
  }
  const bool first_attempt = cached->speculation == Speculation::kUntried;
  const auto record = [](const CachedScript& entry) {
    return std::make_tuple(entry.speculation, entry.misses_in_a_row, entry.lost);
  };
  const auto before = record(*cached);
  {
    v8::Context::Scope context_scope(pristine.context);
    holder.WatchProtectors(true);
    if (made && !modules.empty() && !PreloadModules(holder, pristine.context, modules)) {
      cached->speculation = Speculation::kRefused;  // loading them was not the same
      cached->refused_for_misses = false;
      if (holder.stopping()) {
        holder.WatchProtectors(false);
        return Tried{Recycling::kSpent};  // timed out, killed or out of memory: that is the outcome
      }
    } else {
      // The budget is the attempt's own: making the pristine context serves later ones too.
      recycling = Attempt(holder, request, outcome, pristine.context, pristine.microtasks, cached)
                      .Run(budget, deadline, execution_id);
    }
    if (holder.recycling().CountAttempt(first_attempt) && !holder.stopping()) {
      holder.contexts().CollectLeftContexts();
      const double overhead = MeasureAttemptOverheadMs(pristine.context);
      if (overhead >= 0 && holder.recycling().NoteOverhead(overhead)) {
        holder.Retire(RetireReason::kWorn);
      }
    }
    holder.WatchProtectors(false);  // a new context made next is ours, not the script's doing
  }
  if (record(*cached) != before) {
    holder.config().ledger->Publish(std::string_view(request.code, request.code_length), *cached);
  }
  if (recycling == Recycling::kKept) {
    holder.counters().CountRecycledRun();
  } else {
    holder.contexts().DiscardPristine(modules);
  }
  Tried tried{recycling};
  if (recycling == Recycling::kDeclined) {
    // The code gets its whole time limit in the new context: the declined attempt, at most
    // its budget, is not charged to it.
    tried.declined_after = Clock::now() - started;
    *outcome = Outcome();
  }
  return tried;
}

void RecycledRun::NoteCompiledRun(IsolateHolder& holder,
                                  std::string_view code,
                                  CachedScript* cached,
                                  double run_ms,
                                  double setup_ms,
                                  const Outcome& outcome) {
  const ModuleLoader* modules = holder.modules();
  cached->compiled_run_ms = static_cast<float>(run_ms);
  // What a kept attempt would not redo: the context's making, the compiling, and loading the
  // modules (the pristine context it takes holds them).
  const double loads_ms = modules != nullptr ? modules->load_ms() : 0;
  cached->code_ms = static_cast<float>(std::max(run_ms - setup_ms - loads_ms, 0.0));
  const double saving = holder.recycling().new_context_ms();
  if (cached->lost && saving > 0 && cached->code_ms <= kShortShareOfBudget * saving) {
    cached->lost = false;  // short now (other data, say): worth an attempt again
  }
  cached->slow_keeps = 0;
  cached->completed = cached->completed || outcome.kind == OutcomeKind::kValue;
  CountRunSinceRefused(cached);
  if (modules != nullptr) {
    if (modules->request_failed()) {
      cached->speculation = Speculation::kRefused;  // no pristine context could hold that
      cached->refused_for_misses = false;
    }
    cached->modules = modules->requested();
  }
  if (holder.config().ledger) {
    holder.config().ledger->Publish(code, *cached);
  }
}

}  // namespace ci
