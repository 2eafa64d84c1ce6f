#ifndef CODE_INTERPRETER_CORE_RUN_CONTEXT_GLOBALS_H_
#define CODE_INTERPRETER_CORE_RUN_CONTEXT_GLOBALS_H_

#include <v8.h>

#include <string_view>
#include <vector>

#include "core/isolate/isolate_holder.h"
#include "core/run/outcome.h"
#include "core/run/outcome_writer.h"

namespace ci {

/**
 * Makes the per-call `context` global, and each top-level key that is a plain identifier and
 * shadows nothing as a global of its own, in the entered context (the compiled path). False,
 * with the outcome written, when it could not be built.
 */
bool InjectContextGlobals(OutcomeWriter& writer, const ExecutionRequest& request);

/**
 * The same globals on a recycled context (core/run/recycled_run.h), as lazy data properties: read
 * first during the attempt, their values are the attempt's own objects, which V8 lets it
 * change. A key's global answers the value the key had when the execution began, as a new
 * context's copy does, whatever the script did to `context` before reading it. Realized, each is an
 * ordinary data property. Remove() deletes them all before the context is kept. A getter that
 * cannot build its value (near the stack limit, say) declines the attempt instead of throwing into
 * the script, so the compiled path decides the outcome.
 */
class LazyContextGlobals {
 public:
  explicit LazyContextGlobals(IsolateHolder& holder) : holder_(holder) {}
  LazyContextGlobals(const LazyContextGlobals&) = delete;
  LazyContextGlobals& operator=(const LazyContextGlobals&) = delete;

  // False when a global could not be defined, or the context already has one named `context`.
  bool Install(v8::Local<v8::Context> context, const ExecutionRequest& request);
  bool Remove(v8::Local<v8::Context> context);

 private:
  static LazyContextGlobals* From(const v8::PropertyCallbackInfo<v8::Value>& info);
  static void ReadWhole(v8::Local<v8::Name>, const v8::PropertyCallbackInfo<v8::Value>& info);
  static void ReadMember(v8::Local<v8::Name> name, const v8::PropertyCallbackInfo<v8::Value>& info);
  bool Whole(v8::Local<v8::Context> context, v8::Local<v8::Value>* out);

  IsolateHolder& holder_;
  const std::string* wire_ = nullptr;
  v8::Global<v8::Value> whole_;
  v8::Global<v8::Object> members_;  // each key's value as the execution began
  std::vector<v8::Local<v8::Name>> installed_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_RUN_CONTEXT_GLOBALS_H_
