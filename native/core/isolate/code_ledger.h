#ifndef CODE_INTERPRETER_CORE_ISOLATE_CODE_LEDGER_H_
#define CODE_INTERPRETER_CORE_ISOLATE_CODE_LEDGER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/isolate/script_cache.h"

namespace ci {

/**
 * What one pool's isolates learned about each code on the recycled path (core/run/recycled_run.h),
 * shared among them. Compiled scripts belong to one isolate, but which isolate serves a call
 * depends on the caller's timing (one may be busy preparing a context): without a shared
 * record, a call that lands on an isolate that never ran the code starts from nothing there,
 * and how much of the code's work is recycled would depend on when the caller calls.
 *
 * Keyed by a hash of the code: two codes that share one only share a guess at whether an
 * attempt pays, never a result (an attempt stays exact whatever it was told). Bounded: the
 * oldest record goes first. Any thread; the lock is held for a copy only.
 */
class CodeLedger {
 public:
  static constexpr size_t kMaxRecords = 1024;

  /** The part of a CachedScript that is knowledge about the code, not about one isolate. */
  struct Knowledge {
    Speculation speculation = Speculation::kUntried;
    bool completed = false;
    bool lost = false;
    uint8_t misses_in_a_row = 0;
    float compiled_run_ms = -1;
    float code_ms = -1;
    std::vector<int> modules;
  };

  // Records what `cached` now says of `code`.
  void Publish(std::string_view code, const CachedScript& cached);
  // Records `knowledge` of `code`, learned elsewhere (another worker process of the pool).
  void Put(std::string_view code, Knowledge knowledge);
  // What the pool knows of `code`; false when nothing.
  bool Read(std::string_view code, Knowledge* out) const;
  // Gives a new cache entry of `code` what the pool knows of it, as an isolate that has not
  // tried it yet: its first attempt there is still a first one.
  void Seed(std::string_view code, CachedScript* cached) const;

  static Knowledge Of(const CachedScript& cached);

 private:
  struct Key {
    size_t hash;
    size_t length;
    bool operator==(const Key& other) const { return hash == other.hash && length == other.length; }
  };
  struct KeyHash {
    size_t operator()(const Key& key) const { return key.hash ^ (key.length * 0x9e3779b97f4a7c15); }
  };
  static Key KeyOf(std::string_view code);

  mutable std::mutex mutex_;
  std::unordered_map<Key, Knowledge, KeyHash> records_;
  std::deque<Key> order_;  // oldest first
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ISOLATE_CODE_LEDGER_H_
