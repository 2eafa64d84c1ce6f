#ifndef CODE_INTERPRETER_CORE_POOL_ISOLATE_POOL_H_
#define CODE_INTERPRETER_CORE_POOL_ISOLATE_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/isolate/isolate_holder.h"
#include "core/pool/context_preparer.h"
#include "core/pool/execution_pool.h"
#include "core/run/outcome.h"

namespace ci {

struct PoolConfig {
  IsolateConfig isolate;
  uint32_t max_isolates = 1;
  // Idle isolates kept for reuse; 0 gives every execution a new isolate, disposed after it.
  uint32_t keep_idle = 1;
};

/**
 * The isolates of one sandbox: up to `max_isolates`, made on demand, one execution each at a
 * time; callers beyond that wait in line. A retired isolate (IsolateHolder::Retire: the memory
 * limit, recycling's wear, V8's protectors, memory a stopped run holds) is disposed and a fresh
 * one made for the next caller; beyond `keep_idle` idle ones, released isolates are disposed.
 * Kill() stops running executions and refuses new ones.
 *
 * Prepared contexts, in fresh-context mode with isolates kept: once executions keep needing new
 * contexts, the process's ContextPreparer makes one ahead on each idle isolate that has none, in
 * idle time: only once no execution of the pool has run for kIdleBeforePreparing, since a
 * preparation beside a running execution slows it down (back-to-back callers gain nothing from it).
 * A caller must never wait for a preparation, so one isolate is prepared at a time, and only while
 * another idle isolate stays free for the next caller: the pool then keeps one isolate beyond
 * `max_isolates` (and `keep_idle`), the standby, made by the preparer too. Callers take the most
 * recently used idle isolate that has a context ready.
 */
class IsolatePool final : public ExecutionPool, public ContextPreparation {
 public:
  explicit IsolatePool(const PoolConfig& config);
  ~IsolatePool();
  IsolatePool(const IsolatePool&) = delete;
  IsolatePool& operator=(const IsolatePool&) = delete;

  // Fills `outcome`, a new one, with the execution's (kKilled once the pool is killed).
  void Execute(const ExecutionRequest& request, Outcome* outcome) override;
  // Makes isolates up front, up to `count`.
  void Prewarm(uint32_t count) override;
  void Kill() override;
  bool killed() const override;
  PoolStats stats() const override;
  Clock::time_point PrepareOne() override;

 private:
  std::unique_ptr<IsolateHolder> Acquire();
  void Release(std::unique_ptr<IsolateHolder> holder);
  // Call these three with `mutex_` held.
  void Retire(std::unique_ptr<IsolateHolder>* holder);
  // The most recently used idle isolate without a prepared context, or idle_.rend().
  using IdleSlot = std::vector<std::unique_ptr<IsolateHolder>>::reverse_iterator;
  IdleSlot LastUnprepared();
  bool WantsPreparation();

  const PoolConfig config_;
  // Fresh-context mode with kept isolates: only there does a later execution need a new
  // context that could be made ahead of it.
  const bool prepares_contexts_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<IsolateHolder>> idle_;
  std::vector<IsolateHolder*> busy_;
  IsolateHolder* preparing_ = nullptr;  // with the preparer, neither idle nor busy
  IsolateCounts counted_by_retired_;    // isolates already disposed
  uint64_t retired_ = 0;
  uint32_t live_ = 0;
  uint64_t retired_at_memory_limit_ = 0;
  uint64_t contexts_prepared_ = 0;
  bool preparing_wanted_ = false;  // executions kept needing new contexts
  Clock::time_point last_release_{};
  bool killed_ = false;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_POOL_ISOLATE_POOL_H_
