#include "core/pool/isolate_pool.h"

#include <algorithm>
#include <utility>

#include "core/run/runner.h"

namespace ci {
namespace {

// New contexts an isolate's executions made before its pool starts preparing them: the first
// run of each script needs one anyway, so a single one says little about the next execution.
constexpr uint64_t kContextsBeforePreparing = 2;
// How long a pool must have run nothing before a context is prepared on it: longer than a
// caller's turnaround between back-to-back calls, short beside a service's idle time.
constexpr auto kIdleBeforePreparing = std::chrono::microseconds(100);

// The pool's config, with the ledger its isolates share.
PoolConfig WithLedger(PoolConfig config) {
  if (!config.isolate.persistent_context && !config.isolate.ledger) {
    config.isolate.ledger = std::make_shared<CodeLedger>();
  }
  return config;
}

}  // namespace

IsolatePool::IsolatePool(const PoolConfig& config)
    : config_(WithLedger(config)),
      prepares_contexts_(!config.isolate.persistent_context && config.keep_idle > 0) {}

IsolatePool::~IsolatePool() {
  Kill();
  if (prepares_contexts_) {
    ContextPreparer::Instance().Forget(this);
  }
}

void IsolatePool::Execute(const ExecutionRequest& request, Outcome* outcome) {
  std::unique_ptr<IsolateHolder> holder = Acquire();
  if (!holder) {
    outcome->kind = OutcomeKind::kKilled;
    return;
  }
  RunExecution(*holder, request, outcome);
  Release(std::move(holder));
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
  // With a standby isolate there may be more isolates than callers allowed at once.
  available_.wait(lock, [this] {
    return killed_ || (busy_.size() < config_.max_isolates &&
                       (!idle_.empty() || live_ < config_.max_isolates));
  });
  if (killed_) {
    return nullptr;
  }
  std::unique_ptr<IsolateHolder> holder;
  if (!idle_.empty()) {
    auto ready = std::find_if(idle_.rbegin(), idle_.rend(),
                              [](const auto& each) { return each->has_spare_context(); });
    auto chosen = ready == idle_.rend() ? idle_.end() - 1 : std::prev(ready.base());
    holder = std::move(*chosen);
    idle_.erase(chosen);
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
  if (prepares_contexts_) {
    last_release_ = Clock::now();  // read only by preparation
    preparing_wanted_ =
        preparing_wanted_ || holder->counters().contexts_made_on_call() >= kContextsBeforePreparing;
  }
  const uint32_t standby = preparing_wanted_ ? 1 : 0;
  if (!killed_ && !holder->retiring() && idle_.size() < config_.keep_idle + standby) {
    idle_.push_back(std::move(holder));
    available_.notify_one();
    // Any idle isolate without a context: a preparation may have been skipped while this one ran.
    const bool prepare = preparing_wanted_ && WantsPreparation();
    const Clock::time_point due = last_release_ + kIdleBeforePreparing;
    lock.unlock();
    if (prepare) {
      ContextPreparer::Instance().Request(this, due);
    }
    return;
  }
  Retire(&holder);
  available_.notify_one();
  lock.unlock();
  holder.reset();  // disposing an isolate takes milliseconds: not under the lock
}

void IsolatePool::Retire(std::unique_ptr<IsolateHolder>* holder) {
  live_--;
  counted_by_retired_ += (*holder)->counters().Read();
  // The status keeps two counts: isolates the memory limit retired, and all others.
  switch ((*holder)->retire_reason()) {
    case RetireReason::kNone:
      break;
    case RetireReason::kMemoryLimit:
      retired_at_memory_limit_++;
      break;
    case RetireReason::kWorn:
    case RetireReason::kProtectors:
    case RetireReason::kHeldMemory:
      retired_++;
      break;
  }
}

IsolatePool::IdleSlot IsolatePool::LastUnprepared() {
  return std::find_if(idle_.rbegin(), idle_.rend(),
                      [](const auto& each) { return !each->has_spare_context(); });
}

bool IsolatePool::WantsPreparation() {
  return LastUnprepared() != idle_.rend();
}

IsolatePool::Clock::time_point IsolatePool::PrepareOne() {
  std::unique_ptr<IsolateHolder> holder;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    IdleSlot unready = LastUnprepared();
    if (killed_ || unready == idle_.rend() || !busy_.empty()) {
      return kNothingLeft;  // a running execution's release asks again
    }
    const Clock::time_point due = last_release_ + kIdleBeforePreparing;
    if (Clock::now() < due) {
      return due;
    }
    // Taken only while another idle isolate stays free, and not when the pool holds exactly
    // as many isolates as callers may use at once: those could all be taken meanwhile, and the
    // last caller would wait for this one.
    if (idle_.size() >= 2 && live_ != config_.max_isolates) {
      auto taken = std::prev(unready.base());
      holder = std::move(*taken);
      idle_.erase(taken);
      preparing_ = holder.get();
    } else if (live_ <= config_.max_isolates) {
      live_++;  // the standby, made below
    } else {
      return kNothingLeft;
    }
  }
  if (!holder) {
    try {
      holder = std::make_unique<IsolateHolder>(config_.isolate);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      live_--;
      available_.notify_one();
      return kNothingLeft;
    }
  }
  holder->PrepareSpareContext();
  std::unique_lock<std::mutex> lock(mutex_);
  preparing_ = nullptr;
  if (killed_ || holder->retire_reason() == RetireReason::kMemoryLimit) {
    Retire(&holder);
    available_.notify_one();
    lock.unlock();
    holder.reset();
    return kNothingLeft;
  }
  const bool prepared = holder->has_spare_context();
  if (prepared) {
    contexts_prepared_++;
  }
  idle_.push_back(std::move(holder));
  available_.notify_one();
  return prepared && WantsPreparation() ? Clock::now() : kNothingLeft;
}

void IsolatePool::Kill() {
  std::vector<std::unique_ptr<IsolateHolder>> idle;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    killed_ = true;
    for (IsolateHolder* running : busy_) {
      running->termination().RequestTermination(Termination::kKilled);
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
  PoolStats stats;
  stats.live_isolates = live_;
  stats.busy_isolates = static_cast<uint32_t>(busy_.size());
  stats.isolates_replaced = retired_at_memory_limit_;
  stats.isolates_retired = retired_;
  stats.contexts_prepared = contexts_prepared_;
  stats.counts = counted_by_retired_;
  // Read only where no execution writes it: on idle isolates, and on the one with the
  // preparer, whose work leaves it alone; the pool's lock orders these reads after the last
  // execution's writes. (Left out, the isolate just prepared for hid its figures from status.)
  auto read_meter = [&stats](const IsolateHolder& holder) {
    stats.attempt_overhead_ms =
        std::max(stats.attempt_overhead_ms, holder.recycling().overhead_ms());
    double new_context = holder.recycling().new_context_ms();
    if (new_context >= 0 && (stats.new_context_ms < 0 || new_context < stats.new_context_ms)) {
      stats.new_context_ms = new_context;
    }
  };
  std::vector<const IsolateHolder*> all(busy_.begin(), busy_.end());
  for (const auto& holder : idle_) {
    all.push_back(holder.get());
    read_meter(*holder);
  }
  if (preparing_ != nullptr) {
    all.push_back(preparing_);
    read_meter(*preparing_);
  }
  for (const IsolateHolder* holder : all) {
    stats.counts += holder->counters().Read();
  }
  return stats;
}

}  // namespace ci
