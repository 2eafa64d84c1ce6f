#ifndef CODE_INTERPRETER_CORE_RUN_OUTCOME_WRITER_H_
#define CODE_INTERPRETER_CORE_RUN_OUTCOME_WRITER_H_

#include <v8.h>

#include "core/isolate/isolate_holder.h"
#include "core/run/outcome.h"

namespace ci {

// The name scripts get in stack traces: the same on every path, and never a host path.
inline constexpr const char* kSourceName = "<sandbox>";

/**
 * Writes the outcome of one run in one context: the run's exception (name, message, stack,
 * position), or its result once settled (microtasks, timers, a promise) and converted, raw or
 * stringified (strings as they are, objects as JSON, the rest as String(v)). Owns the run's
 * TryCatch; both the compiled and the recycled path (core/run/compiled_run.h,
 * core/run/recycled_run.h) finish through it, so their answers are read the same way. Use with the
 * isolate locked and `context` entered.
 */
class OutcomeWriter {
 public:
  OutcomeWriter(IsolateHolder& holder,
                const ExecutionRequest& request,
                Outcome* outcome,
                v8::Local<v8::Context> context,
                v8::MicrotaskQueue* microtasks);
  OutcomeWriter(const OutcomeWriter&) = delete;
  OutcomeWriter& operator=(const OutcomeWriter&) = delete;

  v8::Isolate* isolate() const { return isolate_; }
  v8::Local<v8::Context> context() const { return context_; }
  v8::TryCatch& try_catch() { return try_catch_; }
  Outcome* outcome() { return outcome_; }

  // True once the run is being stopped from outside (timeout, kill, memory). The holder's
  // reason counts too: a nested TryCatch (in the serializer) can swallow a termination.
  bool Stopped();
  // Records the pending JS exception (if any) as the outcome. Always false.
  bool FailWithException();
  // Drains the context's microtasks and timers; a promise result becomes its settled value.
  bool Settle(v8::Local<v8::Value>* result);
  void Convert(v8::Local<v8::Value> result);
  // Settles and converts; then drains what a failed run left queued.
  void Finish(v8::Local<v8::Value> result);
  // Runs queued work a failed run left, so none surfaces in a later run of the same context.
  void DrainLeftovers();

 private:
  void ReadError(v8::Local<v8::Value> exception, v8::Local<v8::Message> message);

  IsolateHolder& holder_;
  v8::Isolate* isolate_;
  const ExecutionRequest& request_;
  Outcome* outcome_;
  v8::Local<v8::Context> context_;
  v8::MicrotaskQueue* microtasks_;
  v8::TryCatch try_catch_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_RUN_OUTCOME_WRITER_H_
