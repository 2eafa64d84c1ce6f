#include "core/script_cache.h"

namespace ci {

bool ScriptCache::Lookup(v8::Isolate* isolate,
                         std::string_view code,
                         v8::Local<v8::UnboundScript>* script,
                         CodeForm* form) {
  auto found = index_.find(code);
  if (found == index_.end()) {
    return false;
  }
  entries_.splice(entries_.begin(), entries_, found->second);
  *script = found->second->script.Get(isolate);
  *form = found->second->form;
  return true;
}

void ScriptCache::Insert(v8::Isolate* isolate,
                         std::string_view code,
                         v8::Local<v8::UnboundScript> script,
                         CodeForm form) {
  if (code.size() > kMaxSourceBytes / 4 || index_.count(code) != 0) {
    return;
  }
  while (!entries_.empty() &&
         (entries_.size() >= kMaxEntries || source_bytes_ + code.size() > kMaxSourceBytes)) {
    Entry& oldest = entries_.back();
    source_bytes_ -= oldest.code.size();
    index_.erase(oldest.code);
    entries_.pop_back();
  }
  entries_.push_front(
      Entry{std::string(code), v8::Global<v8::UnboundScript>(isolate, script), form});
  index_.emplace(entries_.front().code, entries_.begin());
  source_bytes_ += code.size();
}

void ScriptCache::Clear() {
  index_.clear();
  entries_.clear();
  source_bytes_ = 0;
}

}  // namespace ci
