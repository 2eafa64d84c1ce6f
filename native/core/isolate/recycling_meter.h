#ifndef CODE_INTERPRETER_CORE_ISOLATE_RECYCLING_METER_H_
#define CODE_INTERPRETER_CORE_ISOLATE_RECYCLING_METER_H_

#include <algorithm>
#include <cstdint>
#include <limits>

namespace ci {

/**
 * What recycling saves and costs on one isolate, measured there rather than assumed: the cost
 * of a new context (what a recycled run saves), and the fixed cost every attempt pays to enter
 * and leave V8's side-effect-free mode. That cost grows with the debug records V8 keeps, for
 * the isolate's lifetime, for every function first called in an attempt, and walks at every
 * attempt's start and end. Once it has grown by a sixteenth of what a new context costs, the
 * isolate is retired: one tenant's function-heavy code cannot slow down or reroute
 * another's. Use with the isolate locked.
 */
class RecyclingMeter {
 public:
  // The first context an isolate makes is its coldest (new heap and code pages: often two or
  // three times a warm one's time), and kept attempts make no more: an average started there
  // would judge them against it for good. So the estimate starts from the lower of the first two
  // (the second is often the recycled context's own), and averages from there.
  void NoteNewContext(double ms) {
    if (contexts_noted_ == 0) {
      new_context_ms_ = ms;
    } else if (contexts_noted_ == 1) {
      new_context_ms_ = std::min(new_context_ms_, ms);
    } else {
      new_context_ms_ += (ms - new_context_ms_) / 8;
    }
    contexts_noted_ += contexts_noted_ < 2;
  }
  // Negative until a new context was made on this isolate.
  double new_context_ms() const { return new_context_ms_; }

  // Counts an attempt; true when the attempt overhead should be measured after it (and the
  // contexts left in the heap counted: ContextFactory::CollectLeftContexts): after a script's
  // first attempt (new functions, new records) and every 64th attempt.
  bool CountAttempt(bool first_of_script) {
    ++attempts_;
    return first_of_script || (attempts_ & 63) == 0;
  }

  // Records a measured attempt overhead; true when the isolate must be retired for it.
  bool NoteOverhead(double ms) {
    overhead_ms_ = ms;
    lowest_overhead_ms_ = std::min(lowest_overhead_ms_, ms);
    return new_context_ms_ > 0 && ms - lowest_overhead_ms_ > new_context_ms_ / kWornShare;
  }
  // The last measured overhead, or negative when none was measured yet.
  double overhead_ms() const { return overhead_ms_; }

 private:
  // Records cost about 40 ns each on V8 10.2: with a new context at 0.5-1.5 ms, an isolate is
  // retired after some 800-2,400 of them, a few hundred ordinary scripts' worth.
  static constexpr double kWornShare = 16;

  double new_context_ms_ = -1;
  int contexts_noted_ = 0;  // up to 2
  uint64_t attempts_ = 0;
  double overhead_ms_ = -1;
  double lowest_overhead_ms_ = std::numeric_limits<double>::infinity();
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ISOLATE_RECYCLING_METER_H_
