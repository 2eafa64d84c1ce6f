#include "core/realm/timers.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>

namespace ci {
namespace {

void Throw(v8::Isolate* isolate, const std::string& message, bool range) {
  v8::Local<v8::String> text = v8::String::NewFromUtf8(isolate, message.c_str()).ToLocalChecked();
  isolate->ThrowException(range ? v8::Exception::RangeError(text) : v8::Exception::TypeError(text));
}

TimerQueue* QueueOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<TimerQueue*>(info.Data().As<v8::External>()->Value());
}

}  // namespace

void TimerQueue::Reset(uint32_t max_timers, double max_delay_ms) {
  timers_.clear();
  next_id_ = 1;
  max_timers_ = max_timers;
  max_delay_ms_ = max_delay_ms;
}

void TimerQueue::Install(v8::Isolate* isolate,
                         v8::Local<v8::Context> context,
                         v8::Local<v8::Object> global) {
  v8::Local<v8::External> self = v8::External::New(isolate, this);
  struct Entry {
    const char* name;
    v8::FunctionCallback callback;
  };
  const Entry entries[] = {
      {"setTimeout", [](const v8::FunctionCallbackInfo<v8::Value>& i) { SetTimer(i, false); }},
      {"setInterval", [](const v8::FunctionCallbackInfo<v8::Value>& i) { SetTimer(i, true); }},
      {"clearTimeout", ClearTimer},
      {"clearInterval", ClearTimer},
  };
  for (const Entry& entry : entries) {
    v8::Local<v8::Function> function;
    if (v8::Function::New(context, entry.callback, self).ToLocal(&function)) {
      v8::Local<v8::String> name =
          v8::String::NewFromUtf8(isolate, entry.name, v8::NewStringType::kInternalized)
              .ToLocalChecked();
      function->SetName(name);
      global->DefineOwnProperty(context, name, function, v8::DontEnum).Check();
    }
  }
}

void TimerQueue::SetTimer(const v8::FunctionCallbackInfo<v8::Value>& info, bool repeat) {
  v8::Isolate* isolate = info.GetIsolate();
  TimerQueue* queue = QueueOf(info);
  if (info.Length() < 1 || !info[0]->IsFunction()) {
    // A string callback would be code generation from a string, which no level allows.
    Throw(isolate, "the timer callback must be a function", false);
    return;
  }
  double delay = 0;
  if (info.Length() > 1) {
    delay = info[1]->NumberValue(isolate->GetCurrentContext()).FromMaybe(0);
  }
  if (!std::isfinite(delay) || delay < 0) {
    delay = 0;
  }
  if (queue->max_delay_ms_ > 0 && delay > queue->max_delay_ms_) {
    Throw(isolate, "timer delay above the limit of " + std::to_string(queue->max_delay_ms_) + " ms",
          true);
    return;
  }
  if (queue->timers_.size() >= queue->max_timers_) {
    Throw(isolate, "more than " + std::to_string(queue->max_timers_) + " pending timers", true);
    return;
  }
  Timer timer;
  timer.interval_ms = repeat ? std::max(delay, 1.0) : 0;
  timer.callback.Reset(isolate, info[0].As<v8::Function>());
  for (int i = 2; i < info.Length(); ++i) {
    timer.arguments.emplace_back(isolate, info[i]);
  }
  uint32_t id = queue->next_id_++;
  auto due = Clock::now() + FromMs(delay);
  queue->timers_.emplace(Key{due, id}, std::move(timer));
  info.GetReturnValue().Set(id);
}

void TimerQueue::ClearTimer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  TimerQueue* queue = QueueOf(info);
  if (info.Length() < 1 || !info[0]->IsNumber()) {
    return;
  }
  double id = info[0].As<v8::Number>()->Value();
  for (auto it = queue->timers_.begin(); it != queue->timers_.end(); ++it) {
    if (it->first.second == id) {
      queue->timers_.erase(it);
      return;
    }
  }
}

bool TimerQueue::Run(v8::Isolate* isolate,
                     v8::Local<v8::Context> context,
                     v8::MicrotaskQueue* microtasks,
                     const std::function<bool()>& done,
                     const std::function<bool()>& stopped) {
  while (!timers_.empty() && !done()) {
    auto next = timers_.begin();
    // Waits in short slices so a termination request is seen promptly.
    while (Clock::now() < next->first.first) {
      if (stopped()) {
        return false;
      }
      if (done()) {
        return true;  // something else to attend to (a host reply) before this timer
      }
      auto slice =
          std::min<Clock::duration>(next->first.first - Clock::now(), std::chrono::milliseconds(2));
      std::this_thread::sleep_for(slice);
    }
    uint32_t id = next->first.second;
    Timer timer = std::move(next->second);
    timers_.erase(next);
    v8::HandleScope scope(isolate);
    v8::Local<v8::Function> callback = timer.callback.Get(isolate);
    std::vector<v8::Local<v8::Value>> arguments;
    for (const auto& argument : timer.arguments) {
      arguments.push_back(argument.Get(isolate));
    }
    if (timer.interval_ms > 0) {
      // Re-armed before the call, so the callback can clear its own interval.
      auto due = Clock::now() + FromMs(timer.interval_ms);
      timers_.emplace(Key{due, id}, std::move(timer));
    }
    if (callback
            ->Call(context, v8::Undefined(isolate), static_cast<int>(arguments.size()),
                   arguments.data())
            .IsEmpty()) {
      return false;
    }
    microtasks->PerformCheckpoint(isolate);
    if (stopped()) {
      return false;
    }
  }
  return true;
}

}  // namespace ci
