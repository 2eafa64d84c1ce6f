#include "core/engine/cancel_token.h"

#include "core/engine/termination_state.h"

namespace ci {

void CancelToken::Cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = true;
  if (execution_ != nullptr) {
    execution_->RequestTerminationOf(execution_id_, Termination::kCancelled);
  }
}

bool CancelToken::cancelled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cancelled_;
}

bool CancelToken::Attach(ExecutionControl* execution, uint64_t execution_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  execution_ = execution;
  execution_id_ = execution_id;
  return cancelled_;
}

void CancelToken::Detach() {
  std::lock_guard<std::mutex> lock(mutex_);
  execution_ = nullptr;
}

}  // namespace ci
