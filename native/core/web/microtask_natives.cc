// queueMicrotask's native work: the callback goes onto the context's own microtask queue, so
// it can never run in another execution's context.
#include "core/web/web_natives.h"

namespace ci {
namespace {

// queueMicrotask(callback): onto the context's own microtask queue.
void QueueMicrotask(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsFunction()) {
    return ThrowTypeError(isolate, "queueMicrotask needs a function");
  }
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::MicrotaskQueue* queue = context->GetMicrotaskQueue();
  if (queue == nullptr) {
    isolate->EnqueueMicrotask(info[0].As<v8::Function>());
  } else {
    queue->EnqueueMicrotask(isolate, info[0].As<v8::Function>());
  }
}

}  // namespace

void AddMicrotaskNatives(v8::Isolate* isolate, v8::Local<v8::ObjectTemplate> natives) {
  SetNative(isolate, natives, "queueMicrotask", QueueMicrotask);
}

}  // namespace ci
