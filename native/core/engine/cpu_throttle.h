#ifndef CODE_INTERPRETER_CORE_ENGINE_CPU_THROTTLE_H_
#define CODE_INTERPRETER_CORE_ENGINE_CPU_THROTTLE_H_

#include <v8.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

#include "core/engine/clock.h"
#include "core/engine/termination.h"
#include "core/engine/watchdog.h"

namespace ci {

/**
 * Holds an execution's thread to a CPU duty cycle (`quota` of 0.1..1). Every tick the watchdog
 * asks V8 for an interrupt; in it, on the executing thread, the throttle sleeps for as long as
 * needed to bring CPU time / wall time back down to the quota. Sleeps are cut short when the
 * execution is being stopped, so timeouts stay prompt.
 */
class CpuThrottle final : public TerminationTarget {
 public:
  static constexpr std::chrono::milliseconds kTick{10};

  CpuThrottle(double quota, std::function<bool()> stopping);
  CpuThrottle(const CpuThrottle&) = delete;
  CpuThrottle& operator=(const CpuThrottle&) = delete;

  bool active() const { return quota_ < 1.0; }
  // Call on the executing thread, with the isolate locked.
  void Begin(v8::Isolate* isolate, uint64_t execution_id);
  void End();
  void OnDeadline(uint64_t execution_id, bool repeat) override;

 private:
  static void Interrupt(v8::Isolate* isolate, void* data);
  void Throttle();

  const double quota_;
  std::function<bool()> stopping_;
  std::mutex mutex_;
  v8::Isolate* isolate_ = nullptr;
  uint64_t execution_id_ = 0;
  bool running_ = false;
  Clock::time_point wall_started_;
  double cpu_started_ms_ = 0;
  WatchdogSlot tick_{this, kTick};  // last: destroyed first
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_CPU_THROTTLE_H_
