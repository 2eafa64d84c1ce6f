#include "core/channel/spin_gate.h"

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
    return new SpinGate(cores > 0 ? cores : 1);  // leaked: used until the process exits
  }();
  return *gate;
}

}  // namespace ci
