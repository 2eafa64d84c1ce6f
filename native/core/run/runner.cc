#include "core/run/runner.h"

#include <chrono>

#include "core/engine/clock.h"
#include "core/engine/cpu_throttle.h"
#include "core/engine/watchdog.h"
#include "core/run/compiled_run.h"
#include "core/run/import_declarations.h"
#include "core/run/recycled_run.h"

namespace ci {
namespace {

// A run shorter than this cannot have allocated past any limit; longer ones are checked.
constexpr auto kLongRun = std::chrono::milliseconds(1);

OutcomeKind KindOf(Termination reason) {
  switch (reason) {
    case Termination::kTimeout:
      return OutcomeKind::kTimeout;
    case Termination::kMemory:
      return OutcomeKind::kMemory;
    case Termination::kKilled:
      return OutcomeKind::kKilled;
    case Termination::kCancelled:
      return OutcomeKind::kCancelled;
    case Termination::kInterrupted:
      return OutcomeKind::kInterrupted;
    case Termination::kNone:
      break;
  }
  return OutcomeKind::kValue;
}

// The compiled path, in the persistent context or a new one.
void RunCompiled(IsolateHolder& holder, const ExecutionRequest& request, Outcome* outcome) {
  const bool persistent = holder.config().persistent_context;
  const Clock::time_point started = Clock::now();
  ContextLease lease =
      persistent ? holder.contexts().PersistentContext() : holder.NewExecutionContext();
  const double context_ms = persistent || lease.prepared ? 0 : MsSince(started);
  if (lease.context.IsEmpty()) {
    outcome->kind = OutcomeKind::kConversionError;
    outcome->detail = "the sandbox's custom globals could not be installed";
    return;
  }
  if (!persistent) {
    if (!lease.prepared) {
      holder.recycling().NoteNewContext(context_ms);
    }
    holder.WatchProtectors(true);
  }
  v8::Context::Scope context_scope(lease.context);
  CompiledRun run(holder, request, outcome);
  CachedScript* cached = run.Run(lease);
  if (!persistent && cached != nullptr) {
    // An attempt reuses the compiled code as it reuses a context: neither is the code's run.
    RecycledRun::NoteCompiledRun(holder, std::string_view(request.code, request.code_length),
                                 cached, MsSince(started), context_ms + run.compile_ms(), *outcome);
  }
}

}  // namespace

void RunExecution(IsolateHolder& holder, const ExecutionRequest& asked, Outcome* result) {
  // The code's import declarations become calls V8 accepts in a script (and the code the
  // caches and the recycled path see): only where modules exist to import.
  std::string rewritten;
  ExecutionRequest with_imports;
  const bool rewrite =
      holder.modules() != nullptr &&
      RewriteImportDeclarations(std::string_view(asked.code, asked.code_length), &rewritten);
  if (rewrite) {
    with_imports = asked;
    with_imports.code = rewritten.data();
    with_imports.code_length = rewritten.size();
  }
  const ExecutionRequest& request = rewrite ? with_imports : asked;
  const std::string_view code(request.code, request.code_length);
  CodeLedger* ledger = holder.config().ledger.get();
  if (request.known != nullptr && ledger != nullptr) {
    ledger->Put(code, *request.known);
  }
  Outcome& outcome = *result;
  const Clock::time_point started = Clock::now();
  const double cpu_started = request.measure_cpu ? ThreadCpuMs() : 0;
  v8::Isolate* isolate = holder.isolate();
  const bool parked = holder.parking().BeforeLock();
  {
    v8::Locker locker(isolate);
    if (parked) {
      ThreadParking::LimitStackFromHere(isolate);
    }
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope handle_scope(isolate);

    const Clock::time_point deadline = started + FromMs(request.timeout_ms);
    const uint64_t execution_id = holder.BeginExecution(request.token, deadline);

    const IsolateConfig& config = holder.config();
    const bool persistent = config.persistent_context;
    auto reset_per_run_state = [&] {
      holder.timers().Reset(config.profile.max_timers, config.profile.max_timer_delay_ms > 0
                                                           ? config.profile.max_timer_delay_ms
                                                           : request.timeout_ms);
      holder.console().Reset(request.capture_console, config.console_max_entries,
                             config.console_max_bytes);
      if (holder.modules() != nullptr) {
        holder.modules()->ResetRecord();
      }
      if (holder.host_completions()) {
        holder.host_completions()->BeginExecution();
      }
    };
    reset_per_run_state();
    const RecycledRun::Tried tried =
        persistent ? RecycledRun::Tried{}
                   : RecycledRun::Try(holder, request, execution_id, deadline, &outcome);
    const Recycling recycling = tried.recycling;
    if (recycling == Recycling::kDeclined) {
      holder.timers().Clear();
      reset_per_run_state();
      holder.termination().Arm(deadline + tried.declined_after, execution_id);
    }
    if (recycling == Recycling::kDeclined || recycling == Recycling::kNotTried) {
      RunCompiled(holder, request, &outcome);
    }
    holder.timers().Clear();
    if (holder.host_completions()) {
      holder.host_completions()->EndExecution();  // replies still to come are dropped
    }
    holder.console().TakeInto(&outcome.console, &outcome.console_truncated);
    // Reading heap statistics walks every space: done when asked, and on every 64th run so
    // status reports stay current without taxing each call.
    if (request.read_heap || (execution_id & 63) == 1) {
      HeapUsage heap = holder.ReadHeapUsage();
      outcome.heap_used = heap.heap_used;
      outcome.heap_total = heap.heap_total;
      outcome.external = heap.external;
    }

    holder.termination().Disarm();
    if (!persistent && holder.protectors_changed()) {
      // No later execution may compute on the fast paths this one changed.
      holder.Retire(RetireReason::kProtectors);
    }
    Termination reason = holder.EndExecution();
    if (reason == Termination::kNone && holder.retire_reason() != RetireReason::kMemoryLimit &&
        (outcome.kind != OutcomeKind::kValue || Clock::now() - started > kLongRun) &&
        holder.OverMemoryLimit()) {
      // One large allocation can pass the limit with no full collection during the run to
      // notice; it is this execution's doing, so it ends as a memory-limit hit here rather than
      // in the next execution.
      reason = Termination::kMemory;
    }
    if (reason != Termination::kNone) {
      // What a stopped run allocated can stay alive into later executions on this isolate (the
      // next full collection may still find its context alive: V8 frees it a collection or more
      // later), where it would count against another execution's limit. A stopped run that
      // holds more than a quarter of the limit costs its isolate.
      if (reason != Termination::kMemory &&
          holder.ReadHeapUsage().heap_used > config.memory_limit_bytes / 4) {
        holder.Retire(RetireReason::kHeldMemory);
      }
      outcome.kind = KindOf(reason);
      outcome.value.nodes.clear();
      outcome.wire.clear();
      if (persistent) {
        // Its microtask queue may hold work of the stopped run; start the next one clean.
        holder.contexts().DiscardPersistent();
        holder.scripts().ForgetBindings();
      }
      holder.contexts().DiscardPristine();
    }
  }
  outcome.wall_ms = MsSince(started);
  if (request.measure_cpu) {
    outcome.cpu_ms = ThreadCpuMs() - cpu_started;
  }
  if (request.report_knowledge && ledger != nullptr) {
    outcome.has_knowledge = ledger->Read(code, &outcome.knowledge);
  }
}

}  // namespace ci
