#ifndef CODE_INTERPRETER_CORE_CONTEXT_PREPARER_H_
#define CODE_INTERPRETER_CORE_CONTEXT_PREPARER_H_

#include <condition_variable>
#include <deque>
#include <mutex>

namespace ci {

/** What the preparer works for: an isolate pool with contexts to make ahead of time. */
class ContextPreparation {
 public:
  virtual ~ContextPreparation() = default;
  // Does one unit of preparation on the preparer's thread; true when more is left to do.
  virtual bool PrepareOne() = 0;
};

/**
 * The process-wide thread that makes new contexts while callers are away, so that the time a
 * new context takes is spent off their path. Pools ask for it after an execution used up a
 * context; each pool's turn is one context, then the next pool's, so one busy sandbox cannot
 * starve the others of preparation.
 */
class ContextPreparer {
 public:
  static ContextPreparer& Instance();
  ContextPreparer(const ContextPreparer&) = delete;
  ContextPreparer& operator=(const ContextPreparer&) = delete;

  // Queues `client` unless it is queued already. Cheap: one lock, no wait.
  void Request(ContextPreparation* client);
  // Unqueues `client` and waits out a preparation of it in progress; after this the preparer
  // never touches it again (unless it is requested again).
  void Forget(ContextPreparation* client);

 private:
  ContextPreparer();
  void Loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  std::deque<ContextPreparation*> queue_;
  ContextPreparation* current_ = nullptr;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_CONTEXT_PREPARER_H_
