#include "core/cancel_token.h"

#include "core/isolate_holder.h"

namespace ci {

void CancelToken::Cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = true;
  if (holder_ != nullptr) {
    holder_->RequestTerminationOf(execution_id_, Termination::kCancelled);
  }
}

bool CancelToken::cancelled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cancelled_;
}

bool CancelToken::Attach(IsolateHolder* holder, uint64_t execution_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  holder_ = holder;
  execution_id_ = execution_id;
  return cancelled_;
}

void CancelToken::Detach() {
  std::lock_guard<std::mutex> lock(mutex_);
  holder_ = nullptr;
}

}  // namespace ci
