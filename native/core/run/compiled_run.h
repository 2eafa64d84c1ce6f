#ifndef CODE_INTERPRETER_CORE_RUN_COMPILED_RUN_H_
#define CODE_INTERPRETER_CORE_RUN_COMPILED_RUN_H_

#include <v8.h>

#include "core/isolate/isolate_holder.h"
#include "core/isolate/script_cache.h"
#include "core/realm/context_factory.h"
#include "core/run/outcome.h"

namespace ci {

/**
 * The compiled path: one execution in a given context (a new one in fresh-context mode, or
 * the persistent one): the per-call context globals, the code compiled or taken from the script
 * cache, run, settled and converted. In the persistent context, what the code was bound to last
 * time is reused, so V8's feedback keeps repeated code optimized. Use with the isolate locked
 * and the lease's context entered.
 */
class CompiledRun {
 public:
  CompiledRun(IsolateHolder& holder, const ExecutionRequest& request, Outcome* outcome)
      : holder_(holder), request_(request), outcome_(outcome) {}
  CompiledRun(const CompiledRun&) = delete;
  CompiledRun& operator=(const CompiledRun&) = delete;

  // Returns the cache entry of the code, or null when the cache does not hold it.
  CachedScript* Run(const ContextLease& lease);
  // How long the run spent compiling the code (0 when the cache had it).
  double compile_ms() const { return compile_ms_; }

 private:
  IsolateHolder& holder_;
  const ExecutionRequest& request_;
  Outcome* outcome_;
  double compile_ms_ = 0;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_RUN_COMPILED_RUN_H_
