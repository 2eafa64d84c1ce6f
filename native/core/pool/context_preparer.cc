#include "core/pool/context_preparer.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace ci {

ContextPreparer& ContextPreparer::Instance() {
  // Leaked on purpose, like the watchdog: its thread may outlive any static destructor.
  static ContextPreparer* instance = new ContextPreparer();
  return *instance;
}

ContextPreparer::ContextPreparer() : pid_(getpid()) {
  std::thread([this] { Loop(); }).detach();
  std::atexit([] { Instance().StopForExit(); });
}

void ContextPreparer::StopForExit() {
  if (getpid() != pid_) {
    return;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  exiting_ = true;
  queue_.clear();
  finished_.wait(lock, [this] { return current_ == nullptr; });
}

void ContextPreparer::Queue(ContextPreparation* client, Clock::time_point not_before) {
  auto queued = std::find_if(queue_.begin(), queue_.end(),
                             [&](const Turn& turn) { return turn.client == client; });
  if (queued != queue_.end()) {
    queued->not_before = std::min(queued->not_before, not_before);
  } else {
    queue_.push_back(Turn{client, not_before});
  }
}

void ContextPreparer::Request(ContextPreparation* client, Clock::time_point not_before) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!exiting_) {
    Queue(client, not_before);
    wake_.notify_one();
  }
}

void ContextPreparer::Forget(ContextPreparation* client) {
  std::unique_lock<std::mutex> lock(mutex_);
  finished_.wait(lock, [&] { return current_ != client; });
  // After the wait: a preparation that just ended may have queued it again.
  queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                              [&](const Turn& turn) { return turn.client == client; }),
               queue_.end());
}

void ContextPreparer::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (queue_.empty()) {
      wake_.wait(lock);
      continue;
    }
    // The earliest due turn; among due ones, the one queued first.
    auto next = std::min_element(queue_.begin(), queue_.end(), [](const Turn& a, const Turn& b) {
      return a.not_before < b.not_before;
    });
    if (next->not_before > Clock::now()) {
      wake_.wait_until(lock, next->not_before);
      continue;
    }
    current_ = next->client;
    queue_.erase(next);
    lock.unlock();
    Clock::time_point again = current_->PrepareOne();
    lock.lock();
    if (again != ContextPreparation::kNothingLeft && !exiting_) {
      Queue(current_, again);
    }
    current_ = nullptr;
    finished_.notify_all();
  }
}

}  // namespace ci
