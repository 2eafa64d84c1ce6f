#include "core/isolate/isolate_holder.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <utility>

#include "core/engine/clock.h"
#include "core/engine/platform.h"
#include "core/engine/v8_text.h"

namespace ci {

IsolateHolder::IsolateHolder(const IsolateConfig& config)
    : config_(config), throttle_(config.cpu_quota, [this] { return stopping(); }) {
  Platform::EnsureInitialized();
  allocator_ = std::make_unique<CappedArrayBufferAllocator>(config.memory_limit_bytes,
                                                            [this] { OnMemoryLimit(); });
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  // V8 aborts the process when its own heap limit is passed before the near-heap-limit
  // callback can act (one large allocation, or growth inside a builtin that never checks for
  // termination). So V8's limit sits well above ours, and ours is enforced after every full
  // collection; the near-heap-limit callback stays as the backstop.
  params.constraints.ConfigureDefaultsFromHeapSize(0, config.memory_limit_bytes);
  params.constraints.set_max_old_generation_size_in_bytes(
      params.constraints.max_old_generation_size_in_bytes() +
      std::max<size_t>(config.memory_limit_bytes, 1ull << 30));
  // V8 plans its full collections from this starting size; from ours, it collects (and the
  // check below runs) when the old generation approaches our limit, not V8's.
  params.constraints.set_initial_old_generation_size_in_bytes(config.memory_limit_bytes / 2);
  isolate_ = v8::Isolate::New(params);
  std::function<void()> stop_host;
  if (config_.profile.host) {
    // V8 cannot stop the host's code: it is asked to.
    stop_host = [host = config_.profile.host.get(), self = this] { host->Interrupt(self); };
  }
  termination_ = std::make_unique<TerminationState>(isolate_, std::move(stop_host));
  parking_ = std::make_unique<ThreadParking>(isolate_);
  isolate_->SetData(0, this);
  isolate_->AddNearHeapLimitCallback(NearHeapLimit, this);
  isolate_->AddGCEpilogueCallback(AfterFullCollection, this, v8::kGCTypeMarkSweepCompact);
  isolate_->SetAllowAtomicsWait(false);
  isolate_->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  isolate_->SetAllowWasmCodeGenerationCallback(AllowWasmCodeGeneration);
  isolate_->SetUseCounterCallback(CountUse);
  isolate_->AddMessageListenerWithErrorLevel(IgnoreUncaught, v8::Isolate::kMessageError);
  isolate_->SetHostImportModuleDynamicallyCallback(ImportDynamically);
  isolate_->SetHostInitializeImportMetaObjectCallback(EsModuleLinker::InitializeImportMeta);

  v8::Locker locker(isolate_);
  v8::Isolate::Scope isolate_scope(isolate_);
  if (config_.profile.host) {
    host_completions_ = std::make_shared<HostCompletions>();
    host_bridge_ =
        std::make_unique<HostBridge>(config_.profile.host.get(), host_completions_,
                                     termination_.get(), this, config_.memory_limit_bytes);
  }
  if (config_.profile.modules) {
    modules_ = std::make_unique<ModuleLoader>(config_.profile.modules, termination_.get());
  }
  contexts_ = std::make_unique<ContextFactory>(isolate_, &console_, &timers_, &config_.profile,
                                               modules_.get(), host_bridge_.get());
}

IsolateHolder::~IsolateHolder() {
  parking_->Close();  // before V8's lock (the lot's lock order), and before the isolate goes
  {
    v8::Locker locker(isolate_);
    v8::Isolate::Scope isolate_scope(isolate_);
    timers_.Clear();
    contexts_.reset();
    modules_.reset();
    if (host_completions_) {
      host_completions_->EndExecution();
    }
    scripts_.Clear();
    isolate_->RemoveNearHeapLimitCallback(NearHeapLimit, 0);
    isolate_->RemoveGCEpilogueCallback(AfterFullCollection, this);
  }
  Platform::ForgetIsolate(isolate_);
  isolate_->Dispose();
}

v8::MaybeLocal<v8::Promise> IsolateHolder::ImportDynamically(v8::Local<v8::Context> context,
                                                             v8::Local<v8::Data>,
                                                             v8::Local<v8::Value> resource_name,
                                                             v8::Local<v8::String> specifier,
                                                             v8::Local<v8::FixedArray>) {
  v8::Isolate* isolate = context->GetIsolate();
  auto* self = static_cast<IsolateHolder*>(isolate->GetData(0));
  if (self != nullptr && self->modules_ != nullptr) {
    return self->modules_->ImportDynamically(context, resource_name, specifier);
  }
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver) ||
      resolver
          ->Reject(context, v8::Exception::Error(
                                NewString(isolate,
                                          "import() needs allowed_modules: this sandbox allows no "
                                          "modules")))
          .IsNothing()) {
    return v8::MaybeLocal<v8::Promise>();
  }
  return resolver->GetPromise();
}

bool IsolateHolder::AllowWasmCodeGeneration(v8::Local<v8::Context> context, v8::Local<v8::String>) {
  auto* self = static_cast<IsolateHolder*>(context->GetIsolate()->GetData(0));
  return self != nullptr && self->config_.profile.webassembly;
}

uint64_t IsolateHolder::BeginExecution(CancelToken* token,
                                       TerminationState::Clock::time_point deadline) {
  allocator_->ResetRefusals();
  const uint64_t id = termination_->Begin(deadline);
  token_ = token;
  if (token != nullptr && token->Attach(termination_.get(), id)) {
    termination_->RequestTerminationOf(id, Termination::kCancelled);
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
  watching_protectors_ = false;
  return termination_->End();
}

void IsolateHolder::CountUse(v8::Isolate* isolate, v8::Isolate::UseCounterFeature feature) {
  auto* self = static_cast<IsolateHolder*>(isolate->GetData(0));
  const bool protector =
      (feature >= v8::Isolate::kInvalidatedArrayBufferDetachingProtector &&
       feature <= v8::Isolate::kInvalidatedTypedArraySpeciesLookupChainProtector) ||
      feature == v8::Isolate::kInvalidatedMegaDOMProtector;
  // The promise-hook protector falls to our own hook (core/run/recycled_run.cc) on every isolate
  // alike; it guards no result.
  if (self != nullptr && self->watching_protectors_ && protector &&
      feature != v8::Isolate::kInvalidatedPromiseHookProtector) {
    self->protectors_changed_ = true;
  }
}

void IsolateHolder::PrepareSpareContext() {
  const Clock::time_point started = Clock::now();
  bool prepared;
  {
    v8::Locker locker(isolate_);
    v8::Isolate::Scope isolate_scope(isolate_);
    v8::HandleScope handle_scope(isolate_);
    prepared = contexts_->PrepareSpare();
  }
  if (prepared) {
    recycling_.NoteNewContext(MsSince(started));
  }
}

ContextLease IsolateHolder::NewExecutionContext() {
  ContextLease lease = contexts_->NewContext();
  if (!lease.prepared) {
    counters_.CountContextMadeOnCall();
  }
  return lease;
}

void IsolateHolder::Retire(RetireReason reason) {
  RetireReason none = RetireReason::kNone;
  if (reason == RetireReason::kMemoryLimit) {
    retire_reason_.store(reason, std::memory_order_release);
  } else {
    retire_reason_.compare_exchange_strong(none, reason, std::memory_order_acq_rel);
  }
}

void IsolateHolder::OnMemoryLimit() {
  Retire(RetireReason::kMemoryLimit);
  termination_->RequestTermination(Termination::kMemory);
}

HeapUsage IsolateHolder::ReadHeapUsage() {
  v8::HeapStatistics statistics;
  isolate_->GetHeapStatistics(&statistics);
  return HeapUsage{statistics.used_heap_size(), statistics.total_heap_size(), allocator_->used()};
}

void IsolateHolder::AfterFullCollection(v8::Isolate* isolate,
                                        v8::GCType,
                                        v8::GCCallbackFlags,
                                        void* data) {
  auto* self = static_cast<IsolateHolder*>(data);
  v8::HeapStatistics statistics;
  isolate->GetHeapStatistics(&statistics);
  // After a full collection the heap in use is what is alive.
  if (statistics.used_heap_size() > self->config_.memory_limit_bytes) {
    self->OnMemoryLimit();
  }
}

bool IsolateHolder::OverMemoryLimit() {
  v8::HeapStatistics statistics;
  isolate_->GetHeapStatistics(&statistics);
  if (statistics.used_heap_size() <= config_.memory_limit_bytes) {
    return false;
  }
  isolate_->LowMemoryNotification();  // garbage may make up the difference
  isolate_->GetHeapStatistics(&statistics);
  if (statistics.used_heap_size() <= config_.memory_limit_bytes) {
    return false;
  }
  Retire(RetireReason::kMemoryLimit);
  return true;
}

size_t IsolateHolder::NearHeapLimit(void* data,
                                    size_t current_heap_limit,
                                    size_t initial_heap_limit) {
  auto* self = static_cast<IsolateHolder*>(data);
  self->OnMemoryLimit();
  // Headroom so the collection in progress and the unwinding finish instead of V8 aborting the
  // process; the isolate is retired right after this execution.
  return current_heap_limit + std::max<size_t>(initial_heap_limit / 2, 16 << 20);
}

}  // namespace ci
