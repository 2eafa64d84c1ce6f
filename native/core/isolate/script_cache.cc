#include "core/isolate/script_cache.h"

namespace ci {

CachedScript* ScriptCache::Find(std::string_view code) {
  auto found = index_.find(code);
  if (found == index_.end()) {
    return nullptr;
  }
  entries_.splice(entries_.begin(), entries_, found->second);
  return &found->second->cached;
}

CachedScript* ScriptCache::Insert(v8::Isolate* isolate,
                                  std::string_view code,
                                  v8::Local<v8::UnboundScript> script,
                                  CodeForm form,
                                  int wrapper_length) {
  if (code.size() > kMaxSourceBytes / 4) {
    return nullptr;
  }
  if (CachedScript* existing = Find(code)) {
    return existing;
  }
  while (!entries_.empty() &&
         (entries_.size() >= kMaxEntries || source_bytes_ + code.size() > kMaxSourceBytes)) {
    Entry& oldest = entries_.back();
    source_bytes_ -= oldest.code.size();
    index_.erase(oldest.code);
    entries_.pop_back();
  }
  entries_.emplace_front();
  Entry& entry = entries_.front();
  entry.code.assign(code);
  entry.cached.script.Reset(isolate, script);
  entry.cached.form = form;
  entry.cached.wrapper_length = wrapper_length;
  index_.emplace(entry.code, entries_.begin());
  source_bytes_ += code.size();
  return &entry.cached;
}

void ScriptCache::ForgetBindings() {
  for (Entry& entry : entries_) {
    entry.cached.bound_context.Reset();
    entry.cached.bound_script.Reset();
    entry.cached.bound_function.Reset();
  }
}

void ScriptCache::Clear() {
  index_.clear();
  entries_.clear();
  source_bytes_ = 0;
}

}  // namespace ci
