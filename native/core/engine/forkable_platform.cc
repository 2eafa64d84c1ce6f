#include "core/engine/forkable_platform.h"

#include <libplatform/libplatform.h>
#include <time.h>

namespace ci {
namespace {

double Seconds(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

/** Drops what it is given: for an isolate that never runs anything. */
class DroppingTaskRunner : public v8::TaskRunner {
 public:
  bool IdleTasksEnabled() override { return false; }
  bool NonNestableTasksEnabled() const override { return true; }
  bool NonNestableDelayedTasksEnabled() const override { return true; }
#if V8_MAJOR_VERSION < 12
  void PostTask(std::unique_ptr<v8::Task>) override {}
  void PostNonNestableTask(std::unique_ptr<v8::Task>) override {}
  void PostDelayedTask(std::unique_ptr<v8::Task>, double) override {}
  void PostNonNestableDelayedTask(std::unique_ptr<v8::Task>, double) override {}
  void PostIdleTask(std::unique_ptr<v8::IdleTask>) override {}
#endif
};

}  // namespace

ForkablePlatform::ForkablePlatform(int background_threads)
    : background_threads_(background_threads), dropping_(std::make_shared<DroppingTaskRunner>()) {}

double ForkablePlatform::MonotonicallyIncreasingTime() {
  return Seconds(CLOCK_MONOTONIC);
}

double ForkablePlatform::CurrentClockTimeMillis() {
  return Seconds(CLOCK_REALTIME) * 1e3;
}

void ForkablePlatform::ForgetIsolate(v8::Isolate* isolate) {
  if (threads_started()) {
    v8::platform::NotifyIsolateShutdown(threads_.get(), isolate);
  }
}

v8::Platform* ForkablePlatform::Threads() {
  std::call_once(once_, [this] {
    threads_ = v8::platform::NewDefaultPlatform(background_threads_,
                                                v8::platform::IdleTaskSupport::kDisabled);
    started_.store(true, std::memory_order_release);
  });
  return threads_.get();
}

}  // namespace ci
