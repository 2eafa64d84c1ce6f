#ifndef CODE_INTERPRETER_CORE_CANCEL_TOKEN_H_
#define CODE_INTERPRETER_CORE_CANCEL_TOKEN_H_

#include <cstdint>
#include <mutex>

namespace ci {

class IsolateHolder;

/**
 * Lets another thread stop one particular execution (an abandoned asyncio task), without
 * touching other executions of the same sandbox. Cancel() before the execution starts makes it
 * stop at once; after it ended, Cancel() does nothing.
 */
class CancelToken {
 public:
  void Cancel();
  bool cancelled() const;

  // Called by the holder at the start and end of the execution, under its own lock order:
  // token lock first, then the holder's termination lock.
  bool Attach(IsolateHolder* holder, uint64_t execution_id);
  void Detach();

 private:
  mutable std::mutex mutex_;
  IsolateHolder* holder_ = nullptr;
  uint64_t execution_id_ = 0;
  bool cancelled_ = false;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_CANCEL_TOKEN_H_
