#include "core/isolate_holder.h"

#include <algorithm>

#include "core/platform.h"

namespace ci {

IsolateHolder::IsolateHolder(const IsolateConfig& config) : config_(config) {
  Platform::EnsureInitialized();
  allocator_ = std::make_unique<CappedArrayBufferAllocator>(config.memory_limit_bytes,
                                                            [this] { OnMemoryLimit(); });
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  params.constraints.ConfigureDefaultsFromHeapSize(0, config.memory_limit_bytes);
  isolate_ = v8::Isolate::New(params);
  isolate_->AddNearHeapLimitCallback(NearHeapLimit, this);
  isolate_->SetAllowAtomicsWait(false);
  isolate_->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);

  v8::Locker locker(isolate_);
  v8::Isolate::Scope isolate_scope(isolate_);
  contexts_ = std::make_unique<ContextFactory>(isolate_, &console_);
}

IsolateHolder::~IsolateHolder() {
  {
    v8::Locker locker(isolate_);
    v8::Isolate::Scope isolate_scope(isolate_);
    contexts_.reset();
    scripts_.Clear();
    isolate_->RemoveNearHeapLimitCallback(NearHeapLimit, 0);
  }
  isolate_->Dispose();
}

uint64_t IsolateHolder::BeginExecution() {
  std::lock_guard<std::mutex> lock(termination_mutex_);
  running_ = true;
  reason_ = Termination::kNone;
  if (kill_requested_) {
    reason_ = Termination::kKilled;
    isolate_->TerminateExecution();
  }
  return ++execution_id_;
}

Termination IsolateHolder::EndExecution() {
  std::lock_guard<std::mutex> lock(termination_mutex_);
  running_ = false;
  isolate_->CancelTerminateExecution();
  return reason_;
}

void IsolateHolder::RequestTermination(Termination reason) {
  std::lock_guard<std::mutex> lock(termination_mutex_);
  if (reason == Termination::kKilled) {
    kill_requested_ = true;
  }
  if (!running_) {
    return;
  }
  if (reason_ == Termination::kNone) {
    reason_ = reason;
  }
  isolate_->TerminateExecution();
}

void IsolateHolder::OnDeadline(uint64_t execution_id, bool repeat) {
  std::lock_guard<std::mutex> lock(termination_mutex_);
  if (!running_ || execution_id != execution_id_) {
    return;
  }
  if (reason_ == Termination::kNone) {
    reason_ = Termination::kTimeout;
  }
  isolate_->TerminateExecution();
}

void IsolateHolder::OnMemoryLimit() {
  broken_.store(true, std::memory_order_release);
  RequestTermination(Termination::kMemory);
}

size_t IsolateHolder::NearHeapLimit(void* data,
                                    size_t current_heap_limit,
                                    size_t initial_heap_limit) {
  auto* self = static_cast<IsolateHolder*>(data);
  self->OnMemoryLimit();
  // Headroom so the collection in progress and the unwinding finish instead of V8 aborting the
  // process; the isolate is replaced right after this execution.
  return current_heap_limit + std::max<size_t>(initial_heap_limit / 2, 16 << 20);
}

}  // namespace ci
