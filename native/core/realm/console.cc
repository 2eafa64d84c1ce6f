#include "core/realm/console.h"

#include <utility>

#include "core/engine/v8_text.h"

namespace ci {
namespace {

// One argument as text: strings as they are, objects as JSON when they have a JSON form,
// anything else as String(value). Runs user code (toJSON, toString) under the same deadline.
std::string FormatArgument(v8::Isolate* isolate,
                           v8::Local<v8::Context> context,
                           v8::Local<v8::Value> value) {
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::String> text;
  if (value->IsString()) {
    text = value.As<v8::String>();
  } else if (value->IsObject() && !value->IsFunction()) {
    v8::Local<v8::String> json;
    if (v8::JSON::Stringify(context, value).ToLocal(&json)) {
      text = json;
    }
  }
  if (text.IsEmpty() && !try_catch.HasTerminated()) {
    try_catch.Reset();
    if (value->IsSymbol() || !value->ToString(context).ToLocal(&text)) {
      text = value->ToDetailString(context).FromMaybe(v8::Local<v8::String>());
    }
  }
  if (text.IsEmpty()) {
    return "<unprintable>";
  }
  return ToUtf8(isolate, text);
}

}  // namespace

void ConsoleMethod(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* binding =
      static_cast<ConsoleBuffer::LevelBinding*>(info.Data().As<v8::External>()->Value());
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  ++binding->buffer->calls_;
  std::string line;
  for (int i = 0; i < info.Length(); ++i) {
    if (i > 0) {
      line.push_back(' ');
    }
    line += FormatArgument(isolate, context, info[i]);
    if (isolate->IsExecutionTerminating()) {
      return;
    }
    if (line.size() > binding->buffer->max_bytes()) {
      break;
    }
  }
  binding->buffer->Append(binding->level, std::move(line));
}

void ConsoleBuffer::Reset(bool enabled, size_t max_entries, size_t max_bytes) {
  max_entries_ = max_entries;
  max_bytes_ = max_bytes;
  entries_.clear();
  bytes_ = 0;
  enabled_ = enabled;
  truncated_ = false;
}

void ConsoleBuffer::Append(const char* level, std::string text) {
  if (!enabled_ || truncated_) {
    return;
  }
  if (entries_.size() >= max_entries_ || bytes_ + text.size() > max_bytes_) {
    truncated_ = true;
    entries_.push_back({level, kTruncatedMarker});
    return;
  }
  bytes_ += text.size();
  entries_.push_back({level, std::move(text)});
}

void ConsoleBuffer::TakeInto(std::vector<ConsoleEntry>* entries, bool* truncated) {
  *entries = std::move(entries_);
  *truncated = truncated_;
  entries_.clear();
  bytes_ = 0;
}

v8::Local<v8::ObjectTemplate> ConsoleBuffer::NewTemplate(v8::Isolate* isolate) {
  // The bindings live in this buffer, which lives as long as the isolate that uses them.
  static constexpr const char* kLevels[] = {"log", "info", "warn", "error", "debug"};
  v8::Local<v8::ObjectTemplate> console = v8::ObjectTemplate::New(isolate);
  for (size_t i = 0; i < 5; ++i) {
    const char* level = kLevels[i];
    LevelBinding* binding = &bindings_[i];
    *binding = LevelBinding{this, level};
    // Output goes to this per-execution buffer, never to a JS object, so V8's side-effect-free
    // mode may call it (a declined speculative run's output is reset with the buffer).
    console->Set(isolate, level,
                 v8::FunctionTemplate::New(
                     isolate, ConsoleMethod, v8::External::New(isolate, binding), {}, 0,
                     v8::ConstructorBehavior::kAllow, v8::SideEffectType::kHasNoSideEffect));
  }
  return console;
}

}  // namespace ci
