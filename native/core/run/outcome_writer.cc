#include "core/run/outcome_writer.h"

#include <string>

#include "core/engine/v8_text.h"
#include "core/host/host_bridge.h"
#include "core/values/js_to_tree.h"
#include "core/values/wire.h"

namespace ci {

OutcomeWriter::OutcomeWriter(IsolateHolder& holder,
                             const ExecutionRequest& request,
                             Outcome* outcome,
                             v8::Local<v8::Context> context,
                             v8::MicrotaskQueue* microtasks)
    : holder_(holder),
      isolate_(holder.isolate()),
      request_(request),
      outcome_(outcome),
      context_(context),
      microtasks_(microtasks),
      try_catch_(isolate_) {}

bool OutcomeWriter::Stopped() {
  return try_catch_.HasTerminated() || isolate_->IsExecutionTerminating() || holder_.stopping();
}

bool OutcomeWriter::FailWithException() {
  if (Stopped()) {
    return false;  // the termination reason decides the outcome
  }
  if (try_catch_.HasCaught()) {
    ReadError(try_catch_.Exception(), try_catch_.Message());
  }
  outcome_->kind = OutcomeKind::kJsError;
  return false;
}

void OutcomeWriter::ReadError(v8::Local<v8::Value> exception, v8::Local<v8::Message> message) {
  // Reading name/message may run getters; a nested TryCatch keeps their failures here.
  v8::TryCatch inner(isolate_);
  JsErrorInfo& error = outcome_->error;
  error.name = "Error";
  outcome_->host_error = HostBridge::ErrorId(context_, exception);
  if (exception->IsObject() && !exception->IsProxy()) {
    v8::Local<v8::Object> object = exception.As<v8::Object>();
    v8::Local<v8::Value> name;
    v8::Local<v8::Value> text;
    v8::Local<v8::Value> stack;
    if (object->Get(context_, NewString(isolate_, "name")).ToLocal(&name) && name->IsString()) {
      error.name = ToUtf8(isolate_, name);
    }
    if (object->Get(context_, NewString(isolate_, "message")).ToLocal(&text) &&
        !text->IsUndefined()) {
      error.message = ToUtf8(isolate_, text);
    }
    if (object->Get(context_, NewString(isolate_, "stack")).ToLocal(&stack) && stack->IsString()) {
      error.stack = ToUtf8(isolate_, stack);
    }
  } else if (!exception->IsSymbol()) {
    error.message = ToUtf8(isolate_, exception);
  }
  if (message.IsEmpty()) {
    message = v8::Exception::CreateMessage(isolate_, exception);
  }
  if (!message.IsEmpty()) {
    error.line = message->GetLineNumber(context_).FromMaybe(0);
    int column = message->GetStartColumn(context_).FromMaybe(-1);
    error.column = column >= 0 ? column + 1 : 0;
    if (error.stack.empty()) {
      error.stack = error.name + ": " + error.message;
    }
  }
}

bool OutcomeWriter::Settle(v8::Local<v8::Value>* result) {
  microtasks_->PerformCheckpoint(isolate_);
  if (Stopped()) {
    return false;
  }
  TimerQueue& timers = holder_.timers();
  HostCompletions* host = holder_.host_completions().get();
  v8::Local<v8::Value> awaited = *result;
  auto settled = [&] {
    return awaited->IsPromise() && awaited.As<v8::Promise>()->State() != v8::Promise::kPending;
  };
  auto stopped = [this] { return holder_.stopping(); };
  // Timers and host replies, in the order they come, until the result settles or nothing is
  // left that could settle it.
  while (!settled()) {
    if (host != nullptr && host->SettleArrived(context_, *holder_.host_bridge()) > 0) {
      microtasks_->PerformCheckpoint(isolate_);
      if (Stopped()) {
        return false;
      }
      continue;
    }
    const bool awaiting_host = host != nullptr && host->pending();
    if (!timers.empty()) {
      auto done = [&] { return settled() || (awaiting_host && host->arrived()); };
      if (!timers.Run(isolate_, context_, microtasks_, done, stopped)) {
        return FailWithException();
      }
    } else if (awaiting_host) {
      host->WaitUntil(HostCompletions::Clock::now() + std::chrono::milliseconds(2));
      if (stopped()) {
        return false;
      }
    } else {
      break;
    }
  }
  if (!(*result)->IsPromise()) {
    return true;
  }
  v8::Local<v8::Promise> promise = result->As<v8::Promise>();
  switch (promise->State()) {
    case v8::Promise::kFulfilled:
      *result = promise->Result();
      return true;
    case v8::Promise::kRejected:
      ReadError(promise->Result(), v8::Local<v8::Message>());
      outcome_->kind = OutcomeKind::kJsError;
      return false;
    case v8::Promise::kPending:
      outcome_->kind = OutcomeKind::kUnsettledPromise;
      return false;
  }
  return false;
}

void OutcomeWriter::Convert(v8::Local<v8::Value> result) {
  if (request_.raw_result) {
    // V8's own serializer first; what it refuses (functions, symbols, proxies, too deep)
    // goes through the walker, which converts proxies and names the path of the rest.
    if (SerializeValue(context_, result, &outcome_->wire)) {
      outcome_->kind = OutcomeKind::kValue;
      return;
    }
    outcome_->wire.clear();
    if (Stopped()) {
      return;
    }
    std::string problem;
    switch (JsToTree(context_, result, ConversionLimits(), &outcome_->value, &problem)) {
      case ConversionStatus::kOk:
        outcome_->kind = OutcomeKind::kValue;
        return;
      case ConversionStatus::kThrew:
        FailWithException();
        return;
      case ConversionStatus::kUnsupported:
        outcome_->kind = OutcomeKind::kConversionError;
        outcome_->detail = problem;
        return;
    }
  }
  // The stringification: strings as they are, objects as JSON, the rest as String(v).
  if (result->IsInt32()) {
    // String(n) of an integer is its decimal digits: no V8 string is made for it.
    ValueNode& node = outcome_->value.ResetToRoot();
    node.kind = ValueKind::kString;
    node.one_byte = true;
    node.text = std::to_string(result.As<v8::Int32>()->Value());
    outcome_->kind = OutcomeKind::kValue;
    return;
  }
  v8::Local<v8::String> text;
  if (result->IsString()) {
    text = result.As<v8::String>();
  } else if (result->IsObject() && !result->IsFunction()) {
    v8::Local<v8::String> json;
    if (!v8::JSON::Stringify(context_, result).ToLocal(&json)) {
      if (Stopped()) {
        return;
      }
      outcome_->kind = OutcomeKind::kConversionError;
      outcome_->detail =
          "could not turn the result into JSON: " + ToUtf8(isolate_, try_catch_.Exception());
      return;
    }
    text = json;
  } else if (result->IsSymbol()) {
    text = result->ToDetailString(context_).FromMaybe(v8::Local<v8::String>());
  } else if (!result->ToString(context_).ToLocal(&text)) {
    FailWithException();
    return;
  }
  if (text.IsEmpty()) {
    FailWithException();
    return;
  }
  std::string problem;
  if (StringToTree(isolate_, text, ConversionLimits(), &outcome_->value, &problem) !=
      ConversionStatus::kOk) {
    outcome_->kind = OutcomeKind::kConversionError;
    outcome_->detail = problem;
    return;
  }
  outcome_->kind = OutcomeKind::kValue;
}

void OutcomeWriter::Finish(v8::Local<v8::Value> result) {
  if (Settle(&result)) {
    Convert(result);
  }
  DrainLeftovers();
}

void OutcomeWriter::DrainLeftovers() {
  if (!Stopped()) {
    microtasks_->PerformCheckpoint(isolate_);
  }
}

}  // namespace ci
