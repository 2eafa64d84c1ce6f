#include "core/engine/cpu_throttle.h"

#include <algorithm>
#include <thread>
#include <utility>

namespace ci {

CpuThrottle::CpuThrottle(double quota, std::function<bool()> stopping)
    : quota_(quota), stopping_(std::move(stopping)) {}

void CpuThrottle::Begin(v8::Isolate* isolate, uint64_t execution_id) {
  if (!active()) {
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    isolate_ = isolate;
    execution_id_ = execution_id;
    running_ = true;
    wall_started_ = Clock::now();
    cpu_started_ms_ = ThreadCpuMs();
  }
  tick_.Arm(wall_started_ + kTick, execution_id);
}

void CpuThrottle::End() {
  if (!active()) {
    return;
  }
  tick_.Disarm();
  std::lock_guard<std::mutex> lock(mutex_);
  running_ = false;
}

void CpuThrottle::OnDeadline(uint64_t execution_id, bool repeat) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_ && execution_id == execution_id_) {
    isolate_->RequestInterrupt(Interrupt, this);
  }
}

void CpuThrottle::Interrupt(v8::Isolate* isolate, void* data) {
  static_cast<CpuThrottle*>(data)->Throttle();
}

void CpuThrottle::Throttle() {
  Clock::time_point started;
  double cpu_started;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!running_) {
      return;  // an interrupt requested for an execution that has ended
    }
    started = wall_started_;
    cpu_started = cpu_started_ms_;
  }
  const double cpu_ms = ThreadCpuMs() - cpu_started;
  const auto target = started + FromMs(cpu_ms / quota_);
  while (!stopping_()) {
    auto now = Clock::now();
    if (now >= target) {
      return;
    }
    std::this_thread::sleep_for(
        std::min<Clock::duration>(target - now, std::chrono::milliseconds(2)));
  }
}

}  // namespace ci
