#ifndef CODE_INTERPRETER_CORE_REALM_TIMERS_H_
#define CODE_INTERPRETER_CORE_REALM_TIMERS_H_

#include <v8.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "core/engine/clock.h"

namespace ci {

/**
 * setTimeout / setInterval / clearTimeout / clearInterval for one isolate, with their state
 * reset for every execution: a bounded number of live timers and a bounded delay. The runner
 * drives them after the script: due callbacks run one at a time, each followed by a microtask
 * checkpoint, until none is pending, the result settles, or the execution is stopped.
 * Use with the isolate locked.
 */
class TimerQueue {
 public:
  using Clock = ci::Clock;

  TimerQueue() = default;
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  void Reset(uint32_t max_timers, double max_delay_ms);
  // Installs the four functions on `global`.
  void Install(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> global);
  bool empty() const { return timers_.empty(); }

  // Runs due timers until none is left or `done()` is true. `stopped()` and `done()` are polled
  // while waiting.
  // Returns false when a callback threw (the exception is left on the caller's TryCatch) or the
  // execution was stopped.
  bool Run(v8::Isolate* isolate,
           v8::Local<v8::Context> context,
           v8::MicrotaskQueue* microtasks,
           const std::function<bool()>& done,
           const std::function<bool()>& stopped);

  void Clear() { timers_.clear(); }

 private:
  struct Timer {
    double interval_ms;  // 0 for a one-shot timeout
    v8::Global<v8::Function> callback;
    std::vector<v8::Global<v8::Value>> arguments;
  };
  using Key = std::pair<Clock::time_point, uint32_t>;  // due time, id (ids keep FIFO order)

  static void SetTimer(const v8::FunctionCallbackInfo<v8::Value>& info, bool repeat);
  static void ClearTimer(const v8::FunctionCallbackInfo<v8::Value>& info);

  std::map<Key, Timer> timers_;
  uint32_t next_id_ = 1;
  uint32_t max_timers_ = 0;
  double max_delay_ms_ = 0;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_REALM_TIMERS_H_
