#include "core/context_factory.h"

#include <algorithm>

namespace ci {
namespace {

// Globals that reach shared memory or a second compiler; removed from every context.
constexpr const char* kRemovedGlobals[] = {"SharedArrayBuffer", "Atomics", "WebAssembly"};

}  // namespace

ContextFactory::ContextFactory(v8::Isolate* isolate, ConsoleBuffer* console) : isolate_(isolate) {
  v8::HandleScope scope(isolate);
  console_template_.Reset(isolate, console->NewTemplate(isolate));
}

ContextFactory::~ContextFactory() {
  persistent_.Reset();
  queues_.clear();
  console_template_.Reset();
}

ContextLease ContextFactory::NewContext() {
  ReleaseCollectedQueues();
  std::unique_ptr<v8::MicrotaskQueue> queue =
      v8::MicrotaskQueue::New(isolate_, v8::MicrotasksPolicy::kExplicit);
  v8::Local<v8::Context> context = v8::Context::New(
      isolate_, nullptr, v8::MaybeLocal<v8::ObjectTemplate>(), v8::MaybeLocal<v8::Value>(),
      v8::DeserializeInternalFieldsCallback(), queue.get());
  context->AllowCodeGenerationFromStrings(false);
  v8::Local<v8::Object> global = context->Global();
  // V8 installs a built-in console during bootstrap (a no-op without an inspector); ours
  // replaces it.
  v8::Local<v8::Object> console =
      console_template_.Get(isolate_)->NewInstance(context).ToLocalChecked();
  global
      ->DefineOwnProperty(
          context,
          v8::String::NewFromUtf8Literal(isolate_, "console", v8::NewStringType::kInternalized),
          console, v8::DontEnum)
      .Check();
  for (const char* name : kRemovedGlobals) {
    v8::Local<v8::String> key =
        v8::String::NewFromUtf8(isolate_, name, v8::NewStringType::kInternalized).ToLocalChecked();
    global->Delete(context, key).Check();
  }
  ContextLease lease{context, queue.get()};
  TrackedQueue tracked{v8::Global<v8::Context>(isolate_, context), std::move(queue)};
  tracked.context.SetWeak();
  queues_.push_back(std::move(tracked));
  return lease;
}

ContextLease ContextFactory::PersistentContext() {
  if (persistent_.IsEmpty()) {
    ContextLease lease = NewContext();
    persistent_.Reset(isolate_, lease.context);
    persistent_queue_ = lease.microtasks;
    return lease;
  }
  return ContextLease{persistent_.Get(isolate_), persistent_queue_};
}

void ContextFactory::DiscardPersistent() {
  persistent_.Reset();
  persistent_queue_ = nullptr;
}

void ContextFactory::ReleaseCollectedQueues() {
  queues_.erase(
      std::remove_if(queues_.begin(), queues_.end(),
                     [](const TrackedQueue& tracked) { return tracked.context.IsEmpty(); }),
      queues_.end());
}

}  // namespace ci
