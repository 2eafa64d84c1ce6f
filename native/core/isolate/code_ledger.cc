#include "core/isolate/code_ledger.h"

#include <functional>
#include <utility>

namespace ci {

CodeLedger::Key CodeLedger::KeyOf(std::string_view code) {
  return Key{std::hash<std::string_view>()(code), code.size()};
}

CodeLedger::Knowledge CodeLedger::Of(const CachedScript& cached) {
  Knowledge knowledge;
  knowledge.speculation = cached.speculation;
  knowledge.completed = cached.completed;
  knowledge.lost = cached.lost;
  knowledge.misses_in_a_row = cached.misses_in_a_row;
  knowledge.compiled_run_ms = cached.compiled_run_ms;
  knowledge.code_ms = cached.code_ms;
  knowledge.modules = cached.modules;
  return knowledge;
}

void CodeLedger::Publish(std::string_view code, const CachedScript& cached) {
  Put(code, Of(cached));
}

void CodeLedger::Put(std::string_view code, Knowledge knowledge) {
  const Key key = KeyOf(code);
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = records_.find(key);
  if (found != records_.end()) {
    found->second = std::move(knowledge);
    return;
  }
  if (records_.size() >= kMaxRecords) {
    records_.erase(order_.front());
    order_.pop_front();
  }
  records_.emplace(key, std::move(knowledge));
  order_.push_back(key);
}

bool CodeLedger::Read(std::string_view code, Knowledge* out) const {
  const Key key = KeyOf(code);
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = records_.find(key);
  if (found == records_.end()) {
    return false;
  }
  *out = found->second;
  return true;
}

void CodeLedger::Seed(std::string_view code, CachedScript* cached) const {
  Knowledge knowledge;
  if (!Read(code, &knowledge)) {
    return;
  }
  // Refused is about the code; recyclable only says an attempt kept a context elsewhere.
  cached->speculation = knowledge.speculation == Speculation::kRefused ? Speculation::kRefused
                                                                       : Speculation::kUntried;
  // Why it was refused elsewhere is not recorded: as a refusal for misses, it is tried here
  // again after a while, and a lasting reason refuses it again at once.
  cached->refused_for_misses = knowledge.speculation == Speculation::kRefused;
  cached->completed = knowledge.completed;
  cached->lost = knowledge.lost;
  cached->misses_in_a_row = knowledge.misses_in_a_row;
  cached->compiled_run_ms = knowledge.compiled_run_ms;
  cached->code_ms = knowledge.code_ms;
  cached->modules = std::move(knowledge.modules);
}

}  // namespace ci
