#include "core/context_preparer.h"

#include <algorithm>
#include <thread>

namespace ci {

ContextPreparer& ContextPreparer::Instance() {
  // Leaked on purpose, like the watchdog: its thread may outlive any static destructor.
  static ContextPreparer* instance = new ContextPreparer();
  return *instance;
}

ContextPreparer::ContextPreparer() {
  std::thread([this] { Loop(); }).detach();
}

void ContextPreparer::Request(ContextPreparation* client) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (std::find(queue_.begin(), queue_.end(), client) == queue_.end()) {
    queue_.push_back(client);
    wake_.notify_one();
  }
}

void ContextPreparer::Forget(ContextPreparation* client) {
  std::unique_lock<std::mutex> lock(mutex_);
  finished_.wait(lock, [&] { return current_ != client; });
  // After the wait: a preparation that just ended may have queued it again.
  queue_.erase(std::remove(queue_.begin(), queue_.end(), client), queue_.end());
}

void ContextPreparer::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return !queue_.empty(); });
    current_ = queue_.front();
    queue_.pop_front();
    lock.unlock();
    bool more = current_->PrepareOne();
    lock.lock();
    if (more && std::find(queue_.begin(), queue_.end(), current_) == queue_.end()) {
      queue_.push_back(current_);
    }
    current_ = nullptr;
    finished_.notify_all();
  }
}

}  // namespace ci
