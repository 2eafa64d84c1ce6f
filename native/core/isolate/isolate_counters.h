#ifndef CODE_INTERPRETER_CORE_ISOLATE_ISOLATE_COUNTERS_H_
#define CODE_INTERPRETER_CORE_ISOLATE_ISOLATE_COUNTERS_H_

#include <atomic>
#include <cstdint>

namespace ci {

/** What an isolate did over its life, as read at one moment (the pool adds these up). */
struct IsolateCounts {
  uint64_t compilations = 0;           // scripts compiled (cache misses, or every run without it)
  uint64_t recycled_runs = 0;          // fresh-mode runs served by a recycled context
  uint64_t contexts_made_on_call = 0;  // new contexts an execution had to wait for

  IsolateCounts& operator+=(const IsolateCounts& other) {
    compilations += other.compilations;
    recycled_runs += other.recycled_runs;
    contexts_made_on_call += other.contexts_made_on_call;
    return *this;
  }
};

/**
 * The running counts of one isolate: written by the execution on it, read by the pool from any
 * thread (status), hence atomics; relaxed, since no reader orders other memory by them.
 */
class IsolateCounters final {
 public:
  void CountCompilation() { compilations_.fetch_add(1, std::memory_order_relaxed); }
  void CountRecycledRun() { recycled_runs_.fetch_add(1, std::memory_order_relaxed); }
  void CountContextMadeOnCall() { contexts_made_on_call_.fetch_add(1, std::memory_order_relaxed); }

  uint64_t contexts_made_on_call() const {
    return contexts_made_on_call_.load(std::memory_order_relaxed);
  }
  IsolateCounts Read() const {
    return {compilations_.load(std::memory_order_relaxed),
            recycled_runs_.load(std::memory_order_relaxed), contexts_made_on_call()};
  }

 private:
  std::atomic<uint64_t> compilations_{0};
  std::atomic<uint64_t> recycled_runs_{0};
  std::atomic<uint64_t> contexts_made_on_call_{0};
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ISOLATE_ISOLATE_COUNTERS_H_
