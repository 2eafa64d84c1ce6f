#include "core/run/pristine_preload.h"

#include "core/realm/realm_fingerprint.h"

namespace ci {
namespace {

// While modules are preloaded: whether they left work for the microtask queue. Promises made
// and settled at once queue nothing (lodash makes one to probe the engine); a promise still
// pending, a reaction (a promise derived by then/await) or a job run means they did.
struct PreloadPromises {
  int made = 0;
  int settled = 0;
  bool queued = false;
};
thread_local PreloadPromises preload_promises;

void NotePreloadPromise(v8::PromiseHookType type,
                        v8::Local<v8::Promise>,
                        v8::Local<v8::Value> parent) {
  switch (type) {
    case v8::PromiseHookType::kInit:
      ++preload_promises.made;
      preload_promises.queued |= parent->IsPromise();
      break;
    case v8::PromiseHookType::kResolve:
      ++preload_promises.settled;
      break;
    case v8::PromiseHookType::kBefore:
    case v8::PromiseHookType::kAfter:
      preload_promises.queued = true;
      break;
  }
}

}  // namespace

bool PreloadModules(IsolateHolder& holder,
                    v8::Local<v8::Context> context,
                    const std::vector<int>& modules) {
  v8::Isolate* isolate = holder.isolate();
  v8::TryCatch try_catch(isolate);
  const uint64_t console_calls = holder.console().calls();
  v8::Local<v8::Array> before;
  v8::Local<v8::Array> after;
  bool unchanged = false;
  if (RealmFingerprint::Take(context).ToLocal(&before)) {
    preload_promises = PreloadPromises();
    isolate->SetPromiseHook(NotePreloadPromise);
    const bool loaded = holder.modules()->Preload(context, modules);
    isolate->SetPromiseHook(nullptr);
    const bool queued = preload_promises.queued || preload_promises.settled < preload_promises.made;
    unchanged = loaded && !queued && holder.timers().empty() &&
                holder.console().calls() == console_calls &&
                RealmFingerprint::ResetRegExpStatics(context) &&
                RealmFingerprint::Take(context).ToLocal(&after) &&
                RealmFingerprint::Same(context, before, after);
  }
  holder.modules()->ResetRecord();
  return unchanged;
}

}  // namespace ci
