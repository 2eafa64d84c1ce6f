#include "core/isolate_holder.h"

#include <algorithm>

#include "core/platform.h"

namespace ci {

IsolateHolder::IsolateHolder(const IsolateConfig& config)
    : config_(config), throttle_(config.cpu_quota, [this] { return stopping(); }) {
  Platform::EnsureInitialized();
  allocator_ = std::make_unique<CappedArrayBufferAllocator>(config.memory_limit_bytes,
                                                            [this] { OnMemoryLimit(); });
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  params.constraints.ConfigureDefaultsFromHeapSize(0, config.memory_limit_bytes);
  isolate_ = v8::Isolate::New(params);
  isolate_->SetData(0, this);
  isolate_->AddNearHeapLimitCallback(NearHeapLimit, this);
  isolate_->SetAllowAtomicsWait(false);
  isolate_->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  isolate_->SetAllowWasmCodeGenerationCallback(AllowWasmCodeGeneration);

  v8::Locker locker(isolate_);
  v8::Isolate::Scope isolate_scope(isolate_);
  contexts_ = std::make_unique<ContextFactory>(isolate_, &console_, &timers_, &config_.profile);
}

IsolateHolder::~IsolateHolder() {
  {
    v8::Locker locker(isolate_);
    v8::Isolate::Scope isolate_scope(isolate_);
    timers_.Clear();
    contexts_.reset();
    scripts_.Clear();
    isolate_->RemoveNearHeapLimitCallback(NearHeapLimit, 0);
  }
  isolate_->Dispose();
}

bool IsolateHolder::AllowWasmCodeGeneration(v8::Local<v8::Context> context, v8::Local<v8::String>) {
  auto* self = static_cast<IsolateHolder*>(context->GetIsolate()->GetData(0));
  return self != nullptr && self->config_.profile.webassembly;
}

uint64_t IsolateHolder::BeginExecution(CancelToken* token) {
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(termination_mutex_);
    running_ = true;
    reason_.store(Termination::kNone, std::memory_order_release);
    id = ++execution_id_;
    if (kill_requested_) {
      TerminateLocked(Termination::kKilled);
    }
  }
  token_ = token;
  if (token != nullptr && token->Attach(this, id)) {
    RequestTerminationOf(id, Termination::kCancelled);
  }
  throttle_.Begin(isolate_, id);
  return id;
}

Termination IsolateHolder::EndExecution() {
  throttle_.End();
  if (token_ != nullptr) {
    token_->Detach();
    token_ = nullptr;
  }
  std::lock_guard<std::mutex> lock(termination_mutex_);
  running_ = false;
  isolate_->CancelTerminateExecution();
  return reason_.load(std::memory_order_acquire);
}

void IsolateHolder::TerminateLocked(Termination reason) {
  Termination none = Termination::kNone;
  reason_.compare_exchange_strong(none, reason, std::memory_order_acq_rel);
  isolate_->TerminateExecution();
}

void IsolateHolder::RequestTermination(Termination reason) {
  std::lock_guard<std::mutex> lock(termination_mutex_);
  if (reason == Termination::kKilled) {
    kill_requested_ = true;
  }
  if (running_) {
    TerminateLocked(reason);
  }
}

void IsolateHolder::RequestTerminationOf(uint64_t execution_id, Termination reason) {
  std::lock_guard<std::mutex> lock(termination_mutex_);
  if (running_ && execution_id == execution_id_) {
    TerminateLocked(reason);
  }
}

void IsolateHolder::OnDeadline(uint64_t execution_id, bool repeat) {
  RequestTerminationOf(execution_id, Termination::kTimeout);
}

void IsolateHolder::OnMemoryLimit() {
  broken_.store(true, std::memory_order_release);
  RequestTermination(Termination::kMemory);
}

HeapUsage IsolateHolder::ReadHeapUsage() {
  v8::HeapStatistics statistics;
  isolate_->GetHeapStatistics(&statistics);
  return HeapUsage{statistics.used_heap_size(), statistics.total_heap_size(), allocator_->used()};
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
