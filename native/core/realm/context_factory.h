#ifndef CODE_INTERPRETER_CORE_REALM_CONTEXT_FACTORY_H_
#define CODE_INTERPRETER_CORE_REALM_CONTEXT_FACTORY_H_

#include <v8.h>

#include <list>
#include <memory>
#include <string>
#include <vector>

#include "core/host/host_bridge.h"
#include "core/modules/module_loader.h"
#include "core/realm/array_guard.h"
#include "core/realm/console.h"
#include "core/realm/security_profile.h"
#include "core/realm/shared_memory_guard.h"
#include "core/realm/timers.h"
#include "core/realm/webassembly_promises.h"
#include "core/web/web_globals.h"

namespace ci {

/** A context and the microtask queue that belongs to it alone. */
struct ContextLease {
  v8::Local<v8::Context> context;
  v8::MicrotaskQueue* microtasks = nullptr;
  bool prepared = false;  // made ahead of time (PrepareSpare), not on the caller's path
};

/**
 * Makes hardened contexts for one isolate by its security profile: our `console`, no string
 * code generation, no SharedArrayBuffer or Atomics, WebAssembly and timers only where the
 * profile allows, only the allowed globals when the profile lists them, then the custom
 * globals, and `require` when the sandbox allows modules. Each context gets its own microtask
 * queue, so work queued by one execution can never run in another; a queue is freed once its
 * context is collected. Use with the isolate locked and entered, inside a HandleScope.
 */
class ContextFactory {
 public:
  ContextFactory(v8::Isolate* isolate,
                 ConsoleBuffer* console,
                 TimerQueue* timers,
                 const SecurityProfile* profile,
                 ModuleLoader* modules,
                 HostBridge* host_bridge);
  ~ContextFactory();
  ContextFactory(const ContextFactory&) = delete;
  ContextFactory& operator=(const ContextFactory&) = delete;

  // Empty `context` when the profile's custom globals could not be installed. Hands out the
  // spare context when one was prepared: contexts are made alike, and a spare was never entered.
  ContextLease NewContext();
  // Makes the spare context ahead of the execution that will take it; false when it could not
  // be furnished. Whether one waits.
  bool PrepareSpare();
  bool has_spare() const { return !spare_.context.IsEmpty(); }
  // The persistent context, made on first use; Discard() forgets it (after a termination).
  ContextLease PersistentContext() { return Kept(&persistent_); }
  void DiscardPersistent() { persistent_ = KeptContext(); }
  // Fresh-mode contexts kept for runs that V8 certified left them untouched
  // (core/run/recycled_run.h), one per list of modules loaded into it before any such run, the
  // least recently used dropped beyond kMaxPristine. Made on first use (`*made` tells), and
  // forgotten by DiscardPristine as soon as any run may have changed one.
  static constexpr size_t kMaxPristine = 4;
  ContextLease PristineContext(const std::vector<int>& modules, bool* made);
  void DiscardPristine(const std::vector<int>& modules);
  void DiscardPristine() { pristine_.clear(); }
  // Starts V8's incremental marking when kUncollectedBeforeMarking contexts made here are
  // still in the heap. For isolates that make recycled attempts, now and then: every call an
  // attempt makes walks the optimized code of every context not yet collected (V8's debugger
  // deoptimizes the callee first), so the contexts that runs in new contexts leave behind slow
  // each attempt down until a full collection, which V8 starts by itself only once the old
  // generation has grown by tens of megabytes: some hundreds of contexts, 40 us and more on
  // every call.
  void CollectLeftContexts();

 private:
  struct TrackedQueue {
    v8::Global<v8::Context> context;  // weak: empty once the context is collected
    std::unique_ptr<v8::MicrotaskQueue> queue;
  };

  struct KeptContext {
    v8::Global<v8::Context> context;
    v8::MicrotaskQueue* queue = nullptr;
  };
  struct Pristine {
    std::vector<int> modules;
    KeptContext kept;
  };
  ContextLease Kept(KeptContext* kept);
  ContextLease MakeContext();
  void ReleaseCollectedQueues();
  static constexpr size_t kUncollectedBeforeMarking = 16;
  // False when a custom global could not be built (it was checked when the sandbox was made).
  bool Furnish(v8::Local<v8::Context> context);
  // Notes a global the profile's filter is about to see, for module code (ModuleLoader::Scope).
  void KeepForModules(v8::Local<v8::Context> context,
                      v8::Local<v8::Object> global,
                      v8::Local<v8::Value> name,
                      const std::string& key,
                      ModuleLoader::Scope* scope);

  v8::Isolate* isolate_;
  TimerQueue* timers_;
  const SecurityProfile* profile_;
  ModuleLoader* modules_;
  HostBridge* host_bridge_;  // null without host functions
  v8::Global<v8::ObjectTemplate> console_template_;
  std::vector<TrackedQueue> queues_;
  ArrayGuard array_guard_;
  SharedMemoryGuard shared_memory_guard_;
  WebAssemblyPromises webassembly_promises_;
  WebGlobals web_globals_;
  KeptContext persistent_;
  KeptContext spare_;
  std::list<Pristine> pristine_;  // most recently used first
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_REALM_CONTEXT_FACTORY_H_
