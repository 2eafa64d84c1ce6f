#ifndef CODE_INTERPRETER_CORE_POOL_CONTEXT_PREPARER_H_
#define CODE_INTERPRETER_CORE_POOL_CONTEXT_PREPARER_H_

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "core/engine/clock.h"

namespace ci {

/** What the preparer works for: an isolate pool with contexts to make ahead of time. */
class ContextPreparation {
 public:
  using Clock = ci::Clock;
  static constexpr Clock::time_point kNothingLeft = Clock::time_point::max();

  virtual ~ContextPreparation() = default;
  // Does one unit of preparation on the preparer's thread, if it is time for one. Returns when
  // to be called again: now or later, or kNothingLeft (until asked again).
  virtual Clock::time_point PrepareOne() = 0;
};

/**
 * The process-wide thread that makes new contexts while callers are away, so that the time a
 * new context takes is spent off their path. Pools ask for it after an execution used up a
 * context, not before a given time; each turn is one context, then the next pool's, so one
 * sandbox cannot starve the others of preparation.
 */
class ContextPreparer {
 public:
  using Clock = ContextPreparation::Clock;

  static ContextPreparer& Instance();
  ContextPreparer(const ContextPreparer&) = delete;
  ContextPreparer& operator=(const ContextPreparer&) = delete;

  // Queues `client` for `not_before` (the earlier time, when it is queued already). Cheap: one
  // lock, no wait.
  void Request(ContextPreparation* client, Clock::time_point not_before);
  // Unqueues `client` and waits out a preparation of it in progress; after this the preparer
  // never touches it again (unless it is requested again).
  void Forget(ContextPreparation* client);

 private:
  struct Turn {
    ContextPreparation* client;
    Clock::time_point not_before;
  };

  ContextPreparer();
  void Loop();
  // Call with `mutex_` held.
  void Queue(ContextPreparation* client, Clock::time_point not_before);
  // At process exit: takes no more work and waits out the preparation in progress, so no V8
  // work runs while static destructors do.
  void StopForExit();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  std::vector<Turn> queue_;
  ContextPreparation* current_ = nullptr;
  bool exiting_ = false;
  const pid_t pid_;  // a forked child has no preparer thread to wait for
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_POOL_CONTEXT_PREPARER_H_
