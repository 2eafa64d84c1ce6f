#include "core/host/host_completions.h"

#include "core/host/host_bridge.h"

namespace ci {

void HostCompletions::BeginExecution() {
  std::lock_guard<std::mutex> lock(mutex_);
  replies_.clear();
  first_call_id_ = last_call_id_ + 1;
  running_ = true;
}

void HostCompletions::EndExecution() {
  resolvers_.clear();
  pending_bytes_ = 0;
  std::lock_guard<std::mutex> lock(mutex_);
  replies_.clear();
  running_ = false;
}

void HostCompletions::Await(uint64_t call_id,
                            v8::Isolate* isolate,
                            v8::Local<v8::Promise::Resolver> resolver,
                            const std::string& name,
                            size_t argument_bytes) {
  Awaited& awaited = resolvers_[call_id];
  awaited.resolver.Reset(isolate, resolver);
  awaited.name = name;
  awaited.argument_bytes = argument_bytes;
  pending_bytes_ += argument_bytes;
}

void HostCompletions::Post(uint64_t call_id, HostReply reply) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!running_ || call_id < first_call_id_) {
      return;  // its execution is over
    }
    replies_.emplace_back(call_id, std::move(reply));
  }
  posted_.notify_all();
}

bool HostCompletions::arrived() {
  std::lock_guard<std::mutex> lock(mutex_);
  return !replies_.empty();
}

void HostCompletions::WaitUntil(Clock::time_point until) {
  std::unique_lock<std::mutex> lock(mutex_);
  posted_.wait_until(lock, until, [this] { return !replies_.empty(); });
}

size_t HostCompletions::SettleArrived(v8::Local<v8::Context> context, HostBridge& bridge) {
  std::deque<std::pair<uint64_t, HostReply>> arrived;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    arrived.swap(replies_);
  }
  v8::Isolate* isolate = context->GetIsolate();
  size_t settled = 0;
  for (auto& [call_id, reply] : arrived) {
    auto found = resolvers_.find(call_id);
    if (found == resolvers_.end()) {
      continue;
    }
    v8::Local<v8::Promise::Resolver> resolver = found->second.resolver.Get(isolate);
    const std::string name = std::move(found->second.name);
    pending_bytes_ -= found->second.argument_bytes;
    resolvers_.erase(found);
    bridge.Settle(context, resolver, name, reply);
    ++settled;
  }
  return settled;
}

}  // namespace ci
