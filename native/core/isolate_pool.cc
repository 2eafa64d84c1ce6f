#include "core/isolate_pool.h"

#include <algorithm>
#include <utility>

#include "core/runner.h"

namespace ci {

IsolatePool::IsolatePool(const PoolConfig& config) : config_(config) {}

IsolatePool::~IsolatePool() {
  Kill();
}

Outcome IsolatePool::Execute(const ExecutionRequest& request) {
  std::unique_ptr<IsolateHolder> holder = Acquire();
  if (!holder) {
    Outcome killed;
    killed.kind = OutcomeKind::kKilled;
    return killed;
  }
  Outcome outcome = RunExecution(*holder, request);
  Release(std::move(holder));
  return outcome;
}

void IsolatePool::Prewarm(uint32_t count) {
  count = std::min({count, config_.max_isolates, std::max<uint32_t>(config_.keep_idle, 1)});
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (killed_ || live_ >= count) {
        return;
      }
      live_++;
    }
    auto holder = std::make_unique<IsolateHolder>(config_.isolate);
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(std::move(holder));
    available_.notify_one();
  }
}

std::unique_ptr<IsolateHolder> IsolatePool::Acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  available_.wait(lock,
                  [this] { return killed_ || !idle_.empty() || live_ < config_.max_isolates; });
  if (killed_) {
    return nullptr;
  }
  std::unique_ptr<IsolateHolder> holder;
  if (!idle_.empty()) {
    holder = std::move(idle_.back());
    idle_.pop_back();
  } else {
    live_++;
    lock.unlock();
    try {
      holder = std::make_unique<IsolateHolder>(config_.isolate);
    } catch (...) {
      lock.lock();
      live_--;
      available_.notify_one();
      throw;
    }
    lock.lock();
    if (killed_) {
      live_--;
      lock.unlock();
      return nullptr;  // `holder` is disposed here, outside the lock
    }
  }
  busy_.push_back(holder.get());
  return holder;
}

void IsolatePool::Release(std::unique_ptr<IsolateHolder> holder) {
  std::unique_lock<std::mutex> lock(mutex_);
  busy_.erase(std::find(busy_.begin(), busy_.end(), holder.get()));
  if (!killed_ && !holder->broken() && !holder->worn() && idle_.size() < config_.keep_idle) {
    idle_.push_back(std::move(holder));
    available_.notify_one();
    return;
  }
  live_--;
  compilations_retired_ += holder->compilations();
  recycled_runs_retired_ += holder->recycled_runs();
  if (holder->broken()) {
    replaced_++;
  } else if (holder->worn()) {
    retired_++;
  }
  available_.notify_one();
  lock.unlock();
  holder.reset();  // disposing an isolate takes milliseconds: not under the lock
}

void IsolatePool::Kill() {
  std::vector<std::unique_ptr<IsolateHolder>> idle;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    killed_ = true;
    for (IsolateHolder* running : busy_) {
      running->RequestTermination(Termination::kKilled);
    }
    idle.swap(idle_);
    live_ -= static_cast<uint32_t>(idle.size());
    available_.notify_all();
  }
}

bool IsolatePool::killed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return killed_;
}

PoolStats IsolatePool::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  PoolStats stats{live_,
                  static_cast<uint32_t>(busy_.size()),
                  replaced_,
                  compilations_retired_,
                  recycled_runs_retired_,
                  retired_};
  for (const auto& holder : idle_) {
    stats.compilations += holder->compilations();
    stats.recycled_runs += holder->recycled_runs();
    // Idle: the pool's lock orders these reads after the isolate thread's last writes.
    stats.attempt_overhead_ms =
        std::max(stats.attempt_overhead_ms, holder->recycling().overhead_ms());
    double new_context = holder->recycling().new_context_ms();
    if (new_context >= 0 && (stats.new_context_ms < 0 || new_context < stats.new_context_ms)) {
      stats.new_context_ms = new_context;
    }
  }
  for (const IsolateHolder* holder : busy_) {
    stats.compilations += holder->compilations();
    stats.recycled_runs += holder->recycled_runs();
  }
  return stats;
}

}  // namespace ci
