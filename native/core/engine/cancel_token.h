#ifndef CODE_INTERPRETER_CORE_ENGINE_CANCEL_TOKEN_H_
#define CODE_INTERPRETER_CORE_ENGINE_CANCEL_TOKEN_H_

#include <cstdint>
#include <mutex>

namespace ci {

class ExecutionControl;

/**
 * Lets another thread stop one particular execution (an abandoned asyncio task), without
 * touching other executions of the same sandbox. Cancel() before the execution starts makes it
 * stop at once; after it ended, Cancel() does nothing.
 */
class CancelToken {
 public:
  void Cancel();
  bool cancelled() const;

  // Called by the isolate's holder at the start and end of the execution, under this lock
  // order: the token's lock first, then the execution's termination lock.
  bool Attach(ExecutionControl* execution, uint64_t execution_id);
  void Detach();

 private:
  mutable std::mutex mutex_;
  ExecutionControl* execution_ = nullptr;
  uint64_t execution_id_ = 0;
  bool cancelled_ = false;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_CANCEL_TOKEN_H_
