#ifndef CODE_INTERPRETER_CORE_POOL_EXECUTION_STATS_H_
#define CODE_INTERPRETER_CORE_POOL_EXECUTION_STATS_H_

#include <array>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

namespace ci {

/**
 * Counts, durations and memory readings of one sandbox's executions, in constant memory:
 * durations go to log-scale buckets growing by 5% from 1 us (percentiles within 2.5%).
 * Thread-safe.
 */
class ExecutionStats {
 public:
  struct Snapshot {
    uint64_t total, successful, failed;
    double average_ms, median_ms, p95_ms, p99_ms;
    uint64_t memory_current, memory_peak;
  };

  void Record(double wall_ms, bool ok) {
    size_t bucket = 0;
    if (wall_ms > kSmallestMs) {
      bucket = static_cast<size_t>(std::log(wall_ms / kSmallestMs) / kLogGrowth) + 1;
      bucket = bucket < kBuckets ? bucket : kBuckets - 1;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    (ok ? successful_ : failed_)++;
    sum_ms_ += wall_ms;
    counts_[bucket]++;
  }

  void RecordMemory(uint64_t heap_used) {
    std::lock_guard<std::mutex> lock(mutex_);
    memory_current_ = heap_used;
    memory_peak_ = heap_used > memory_peak_ ? heap_used : memory_peak_;
  }

  // The non-empty duration buckets as (index, count): bucket i > 0 holds durations in
  // (kSmallestMs * kGrowth^(i-1), kSmallestMs * kGrowth^i], bucket 0 those up to kSmallestMs.
  // Lets several sandboxes' histograms be merged exactly (a cluster's percentiles).
  std::vector<std::pair<size_t, uint64_t>> NonEmptyBuckets() const {
    std::vector<std::pair<size_t, uint64_t>> buckets;
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = 0; i < kBuckets; ++i) {
      if (counts_[i] != 0) {
        buckets.emplace_back(i, counts_[i]);
      }
    }
    return buckets;
  }

  static constexpr double kSmallestMs = 0.001;
  static constexpr double kGrowth = 1.05;
  static constexpr size_t kBuckets = 600;

  Snapshot Read() const {
    std::lock_guard<std::mutex> lock(mutex_);
    uint64_t total = successful_ + failed_;
    return Snapshot{total,
                    successful_,
                    failed_,
                    total ? sum_ms_ / static_cast<double>(total) : 0.0,
                    Percentile(0.5, total),
                    Percentile(0.95, total),
                    Percentile(0.99, total),
                    memory_current_,
                    memory_peak_};
  }

 private:
  static inline const double kLogGrowth = std::log(kGrowth);

  // Call with the mutex held.
  double Percentile(double fraction, uint64_t total) const {
    if (total == 0) {
      return 0.0;
    }
    auto rank = static_cast<uint64_t>(std::ceil(fraction * static_cast<double>(total)));
    rank = rank == 0 ? 1 : rank;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        // The geometric middle of the bucket.
        return i == 0 ? kSmallestMs : kSmallestMs * std::pow(kGrowth, static_cast<double>(i) - 0.5);
      }
    }
    return kSmallestMs * std::pow(kGrowth, static_cast<double>(kBuckets));
  }

  mutable std::mutex mutex_;
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t successful_ = 0;
  uint64_t failed_ = 0;
  double sum_ms_ = 0;
  uint64_t memory_current_ = 0;
  uint64_t memory_peak_ = 0;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_POOL_EXECUTION_STATS_H_
