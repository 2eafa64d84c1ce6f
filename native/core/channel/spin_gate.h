#ifndef CODE_INTERPRETER_CORE_CHANNEL_SPIN_GATE_H_
#define CODE_INTERPRETER_CORE_CHANNEL_SPIN_GATE_H_

#include <atomic>

namespace ci {

/**
 * The cores a process's waits for its workers keep busy: each execution a worker runs keeps
 * one, and each wait that spins another. A wait spins only while that leaves no more busy than
 * there are cores, so one caller spins for its answer on the core its worker leaves free, and
 * callers enough to fill the machine sleep and leave the cores to their workers. Their workers
 * are told to sleep too once they answer (RingControl::reader_should_sleep): a worker spinning
 * for its next request would keep its caller off the core it needs to make that request.
 */
class SpinGate {
 public:
  // Sized to the cores this process may run on.
  static SpinGate& ForThisProcess();
  explicit SpinGate(int cores) : cores_(cores) {}

  // An execution a worker runs, from its request to its outcome.
  void ExecutionBegins() { busy_.fetch_add(1, std::memory_order_relaxed); }
  void ExecutionEnds() { busy_.fetch_sub(1, std::memory_order_relaxed); }
  // Whether a wait may spin now; one that may holds its core until SpinEnds().
  bool SpinBegins() {
    int busy = busy_.load(std::memory_order_relaxed);
    while (busy < cores_) {
      if (busy_.compare_exchange_weak(busy, busy + 1, std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }
  void SpinEnds() { busy_.fetch_sub(1, std::memory_order_relaxed); }
  // Whether a core is free now.
  bool HasRoom() const { return busy_.load(std::memory_order_relaxed) < cores_; }

 private:
  const int cores_;
  std::atomic<int> busy_{0};
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_CHANNEL_SPIN_GATE_H_
