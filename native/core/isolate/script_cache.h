#ifndef CODE_INTERPRETER_CORE_ISOLATE_SCRIPT_CACHE_H_
#define CODE_INTERPRETER_CORE_ISOLATE_SCRIPT_CACHE_H_

#include <v8.h>

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ci {

/** How a piece of code was compiled: as a script, or wrapped as a (async) function body. */
enum class CodeForm : uint8_t { kScript, kFunctionBody, kAsyncFunctionBody };

/** Whether a script may run on a recycled fresh-mode context (core/run/recycled_run.h). */
enum class Speculation : uint8_t { kUntried, kRecyclable, kRefused };

/** A compiled script and, for the persistent context, what running it there last produced. */
struct CachedScript {
  v8::Global<v8::UnboundScript> script;
  CodeForm form;
  int wrapper_length = 0;  // the function forms' wrapper (core/run/code_compiler.h)
  // Bound in `bound_context` (the persistent one): the script, or for the function forms, the
  // function it evaluates to. Reusing them keeps the feedback V8 gathered, so repeated code
  // stays optimized.
  v8::Global<v8::Context> bound_context;
  v8::Global<v8::Script> bound_script;
  v8::Global<v8::Function> bound_function;

  // Fresh-context mode only.
  Speculation speculation = Speculation::kUntried;
  // A script with top-level let/const/class, as the block a recycled attempt runs instead.
  v8::Global<v8::UnboundScript> block_script;
  bool completed = false;  // a run in a new context ended with a value at least once
  // Its last run in a new context, the making of the context included; and the code's own
  // share of that run (the context's making left out).
  float compiled_run_ms = -1;
  float code_ms = -1;
  // An attempt of it lost its whole budget while the code was not short against it: not tried
  // again until a run in a new context finds the code short (its data changed, say).
  bool lost = false;
  uint8_t misses_in_a_row = 0;  // attempts in a row that did not keep the context
  // Refused after misses (a side effect, an exception, the budget), which may have been the
  // data's or the moment's doing: after some runs in new contexts it is tried again, each
  // time after twice as many (core/run/recycling_rules.h). Other refusals are for good.
  bool refused_for_misses = false;
  uint8_t stops_with_collection = 0;  // budget stops in a row with a collection in them
  uint8_t refusals = 0;
  uint16_t runs_since_refused = 0;
  // Kept attempts since its last run in a new context that took longer than a new context
  // costs; after kSlowKeepsBeforeRemeasuring of them its next run takes a new context.
  uint8_t slow_keeps = 0;
  // The modules its last run in a new context required, first request first: the pristine
  // context it tries on holds exactly these (core/modules/module_loader.h).
  std::vector<int> modules;
};

/**
 * Compiled scripts of one isolate, keyed by source text, least recently used evicted first.
 * Bounded in entries and in source bytes. Use with the isolate locked.
 */
class ScriptCache {
 public:
  static constexpr size_t kMaxEntries = 256;
  static constexpr size_t kMaxSourceBytes = 16 << 20;

  ScriptCache() = default;
  ScriptCache(const ScriptCache&) = delete;
  ScriptCache& operator=(const ScriptCache&) = delete;

  // The entry for `code`, made most recently used; null when absent.
  CachedScript* Find(std::string_view code);
  // Null when the code is too large to keep.
  CachedScript* Insert(v8::Isolate* isolate,
                       std::string_view code,
                       v8::Local<v8::UnboundScript> script,
                       CodeForm form,
                       int wrapper_length);
  // Drops what was bound to a context that is being discarded.
  void ForgetBindings();
  void Clear();

 private:
  struct Entry {
    std::string code;
    CachedScript cached;
  };

  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
  size_t source_bytes_ = 0;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ISOLATE_SCRIPT_CACHE_H_
