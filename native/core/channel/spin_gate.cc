#include "core/channel/spin_gate.h"

#include <pthread.h>
#include <sched.h>

#include <thread>

namespace ci {

SpinGate& SpinGate::ForThisProcess() {
  static SpinGate* gate = [] {
    cpu_set_t allowed;
    int cores = 0;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
      cores = CPU_COUNT(&allowed);
    }
    if (cores <= 0) {
      cores = static_cast<int>(std::thread::hardware_concurrency());
    }
    auto* made = new SpinGate(cores > 0 ? cores : 1);  // leaked: used until the process exits
    // A child of fork() has none of its parent's threads, so none of their executions and
    // spins: the count starts again.
    pthread_atfork(nullptr, nullptr, [] { ForThisProcess().busy_.store(0); });
    return made;
  }();
  return *gate;
}

}  // namespace ci
