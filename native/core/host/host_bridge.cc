#include "core/host/host_bridge.h"

#include <cmath>
#include <string>
#include <utility>

#include "core/engine/v8_text.h"
#include "core/values/js_to_tree.h"
#include "core/values/value_tree.h"
#include "core/values/wire.h"

namespace ci {
namespace {

v8::Local<v8::Private> ErrorIdKey(v8::Isolate* isolate) {
  return v8::Private::ForApi(isolate, NewString(isolate, "code_interpreter.host_error"));
}

// Host calls an execution may have made that script has not yet seen settled. Each holds a
// promise, a call in the host (an `async def` coroutine) and its arguments outside the heap.
constexpr size_t kMaxPendingHostCalls = 1000;

void ThrowRangeError(v8::Isolate* isolate, const std::string& text) {
  v8::Local<v8::String> message;
  if (NewText(isolate, text).ToLocal(&message)) {
    isolate->ThrowException(v8::Exception::RangeError(message));
  }
}

size_t StringBytes(v8::Local<v8::String> text) {
  return static_cast<size_t>(text->Length()) * (text->IsOneByte() ? 1 : 2);
}

// Why V8's serializer refused `arguments`: the conversion walk names what and where.
std::string WhyNotSerializable(v8::Local<v8::Context> context, v8::Local<v8::Array> arguments) {
  v8::TryCatch quiet(context->GetIsolate());  // a getter that throws explains nothing more
  ValueTree tree;
  std::string why;
  if (JsToTree(context, arguments, ConversionLimits(), &tree, &why, "arguments") ==
      ConversionStatus::kUnsupported) {
    return why;
  }
  return "functions, symbols and proxies do not cross";
}

void Throw(v8::Isolate* isolate, const std::string& text, bool type_error) {
  v8::Local<v8::String> message;
  if (NewText(isolate, text).ToLocal(&message)) {
    isolate->ThrowException(type_error ? v8::Exception::TypeError(message)
                                       : v8::Exception::Error(message));
  }
}

bool ToScalar(v8::Isolate* isolate, v8::Local<v8::Value> value, HostScalar* out) {
  using Type = HostScalar::Type;
  if (value->IsUndefined()) {
    out->type = Type::kUndefined;
  } else if (value->IsNull()) {
    out->type = Type::kNull;
  } else if (value->IsBoolean()) {
    out->type = value->IsTrue() ? Type::kTrue : Type::kFalse;
  } else if (value->IsNumber()) {
    const double number = value.As<v8::Number>()->Value();
    if (std::trunc(number) == number && std::fabs(number) <= kMaxSafeInteger &&
        !(number == 0 && std::signbit(number))) {
      out->type = Type::kInt;
      out->integer = static_cast<int64_t>(number);
    } else {
      out->type = Type::kDouble;
      out->number = number;
    }
  } else if (value->IsString() && value.As<v8::String>()->ContainsOnlyOneByte()) {
    v8::Local<v8::String> text = value.As<v8::String>();
    out->type = Type::kLatin1;
    out->text.resize(static_cast<size_t>(text->Length()));
    text->WriteOneByte(isolate, reinterpret_cast<uint8_t*>(out->text.data()), 0, -1,
                       v8::String::NO_NULL_TERMINATION);
  } else {
    return false;
  }
  return true;
}

v8::MaybeLocal<v8::Value> FromScalar(v8::Isolate* isolate, const HostScalar& scalar) {
  using Type = HostScalar::Type;
  switch (scalar.type) {
    case Type::kUndefined:
      return v8::Undefined(isolate);
    case Type::kNull:
      return v8::Null(isolate);
    case Type::kFalse:
      return v8::False(isolate);
    case Type::kTrue:
      return v8::True(isolate);
    case Type::kInt:
      return v8::Number::New(isolate, static_cast<double>(scalar.integer));
    case Type::kDouble:
      return v8::Number::New(isolate, scalar.number);
    case Type::kLatin1: {
      v8::Local<v8::String> text;
      if (!v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(scalar.text.data()),
                                      v8::NewStringType::kNormal,
                                      static_cast<int>(scalar.text.size()))
               .ToLocal(&text)) {
        return v8::MaybeLocal<v8::Value>();
      }
      return text;
    }
  }
  return v8::MaybeLocal<v8::Value>();
}

}  // namespace

HostBridge::HostBridge(HostFunctions* host,
                       std::shared_ptr<HostCompletions> completions,
                       ExecutionControl* execution,
                       const void* caller,
                       size_t memory_limit_bytes)
    : host_(host),
      completions_(std::move(completions)),
      execution_(execution),
      caller_(caller),
      memory_limit_bytes_(memory_limit_bytes) {
  for (size_t i = 0; i < host_->names().size(); ++i) {
    entries_.push_back(Entry{this, i});
  }
}

bool HostBridge::Install(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = context->GetIsolate();
  const std::vector<std::string>& names = host_->names();
  for (size_t i = 0; i < names.size(); ++i) {
    v8::Local<v8::Function> function;
    v8::Local<v8::String> name;
    // Side effects as V8 sees them: any call leaves the side-effect-free mode at once.
    if (!v8::Function::New(context, Call, v8::External::New(isolate, &entries_[i]), 0,
                           v8::ConstructorBehavior::kThrow, v8::SideEffectType::kHasSideEffect)
             .ToLocal(&function) ||
        !NewText(isolate, names[i]).ToLocal(&name)) {
      return false;
    }
    function->SetName(name);
    if (!context->Global()
             ->DefineOwnProperty(context, name, function, v8::DontEnum)
             .FromMaybe(false)) {
      return false;
    }
  }
  return true;
}

uint64_t HostBridge::ErrorId(v8::Local<v8::Context> context, v8::Local<v8::Value> error) {
  if (!error->IsObject() || error->IsProxy()) {
    return 0;
  }
  v8::Local<v8::Value> id;
  if (!error.As<v8::Object>()
           ->GetPrivate(context, ErrorIdKey(context->GetIsolate()))
           .ToLocal(&id) ||
      !id->IsNumber()) {
    return 0;
  }
  return static_cast<uint64_t>(id.As<v8::Number>()->Value());
}

void HostBridge::Call(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const auto* entry = static_cast<const Entry*>(info.Data().As<v8::External>()->Value());
  entry->bridge->Call(info, entry->index);
}

void HostBridge::Call(const v8::FunctionCallbackInfo<v8::Value>& info, size_t index) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  HostCompletions* completions = completions_.get();
  const size_t memory_limit = memory_limit_bytes_;
  const std::string& name = host_->names()[index];
  auto refuse_arguments = [&](const std::string& why) {
    Throw(isolate, "the arguments of " + name + "() cannot be passed to the host: " + why, true);
  };

  if (execution_->stopping()) {
    // V8 lands a termination at its next check (a loop, a function entry), which straight-line
    // code may not reach before its next host call: the host is not called again.
    return;
  }
  if (completions->pending_count() >= kMaxPendingHostCalls) {
    ThrowRangeError(isolate, std::to_string(kMaxPendingHostCalls) +
                                 " host calls are pending in this execution, the most there may "
                                 "be: await some before calling " +
                                 name + "() again");
    return;
  }
  // A string argument is copied out whole: one larger than the memory limit is refused before
  // V8 flattens it.
  for (int i = 0; i < info.Length(); ++i) {
    if (info[i]->IsString() && StringBytes(info[i].As<v8::String>()) > memory_limit) {
      refuse_arguments("arguments[" + std::to_string(i) + "] is larger than the memory limit (" +
                       std::to_string(memory_limit >> 20) + " MB)");
      return;
    }
  }
  HostArguments arguments;
  arguments.scalars.resize(static_cast<size_t>(info.Length()));
  for (int i = 0; i < info.Length() && arguments.scalar; ++i) {
    arguments.scalar = ToScalar(isolate, info[i], &arguments.scalars[static_cast<size_t>(i)]);
  }
  size_t bytes = 0;
  if (arguments.scalar) {
    for (const HostScalar& scalar : arguments.scalars) {
      bytes += sizeof(HostScalar) + scalar.text.size();
    }
  } else {
    arguments.scalars.clear();
    std::vector<v8::Local<v8::Value>> values;
    for (int i = 0; i < info.Length(); ++i) {
      values.push_back(info[i]);
    }
    v8::Local<v8::Array> array = v8::Array::New(isolate, values.data(), values.size());
    if (!SerializeValue(context, array, &arguments.wire)) {
      if (!isolate->IsExecutionTerminating()) {
        refuse_arguments(WhyNotSerializable(context, array));
      }
      return;
    }
    bytes = arguments.wire.size();
    if (bytes > memory_limit) {
      refuse_arguments("they are larger than the memory limit (" +
                       std::to_string(memory_limit >> 20) + " MB)");
      return;
    }
  }
  // Arguments of calls still pending are held by the host for the execution: they count
  // against its memory limit as the heap does.
  if (completions->pending_bytes() + bytes > memory_limit) {
    execution_->RequestTermination(Termination::kMemory);
    return;
  }
  HostCall call;
  call.caller = caller_;
  call.call_id = completions->NextCallId();
  call.completions = completions_;
  HostReply reply = host_->Call(call, index, arguments);
  if (reply.kind == HostReply::Kind::kAbort) {
    execution_->RequestTermination(Termination::kInterrupted);  // the host re-raises it
  }
  if (execution_->stopping()) {
    return;  // timed out, killed or out of memory while the host ran: that is the outcome
  }
  if (reply.kind == HostReply::Kind::kPending) {
    v8::Local<v8::Promise::Resolver> resolver;
    if (v8::Promise::Resolver::New(context).ToLocal(&resolver)) {
      completions->Await(call.call_id, isolate, resolver, name, bytes);
      info.GetReturnValue().Set(resolver->GetPromise());
    }
    return;
  }
  v8::Local<v8::Value> value;
  if (Read(context, name, reply, &value)) {
    info.GetReturnValue().Set(value);
  } else if (!value.IsEmpty()) {
    isolate->ThrowException(value);
  }
}

bool HostBridge::Read(v8::Local<v8::Context> context,
                      const std::string& name,
                      const HostReply& reply,
                      v8::Local<v8::Value>* out) {
  v8::Isolate* isolate = context->GetIsolate();
  auto error = [&](const std::string& text) {
    v8::Local<v8::String> message;
    if (NewText(isolate, text).ToLocal(&message)) {
      *out = v8::Exception::Error(message);
    }
    return false;
  };
  switch (reply.kind) {
    case HostReply::Kind::kValue: {
      // A result larger than the whole heap limit can never fit: stopped before V8 tries.
      const size_t size = reply.scalar ? reply.value.text.size() : reply.wire.size();
      if (size > memory_limit_bytes_) {
        execution_->RequestTermination(Termination::kMemory);
        return false;
      }
      if (reply.scalar ? FromScalar(isolate, reply.value).ToLocal(out)
                       : DeserializeValue(context, reply.wire, out)) {
        return true;
      }
      *out = v8::Local<v8::Value>();
      return isolate->IsExecutionTerminating()
                 ? false
                 : error("the result of " + name + "() could not be made a JavaScript value");
    }
    case HostReply::Kind::kError: {
      v8::Local<v8::String> message;
      v8::Local<v8::String> error_name;
      if (!NewText(isolate, reply.message).ToLocal(&message) ||
          !NewText(isolate, reply.name).ToLocal(&error_name)) {
        return error(name + "() failed");
      }
      if (reply.type_error) {
        *out = v8::Exception::TypeError(message);
        return false;
      }
      v8::Local<v8::Object> thrown = v8::Exception::Error(message).As<v8::Object>();
      thrown->Set(context, NewString(isolate, "name"), error_name).FromMaybe(false);
      if (reply.error_id != 0) {
        thrown
            ->SetPrivate(context, ErrorIdKey(isolate),
                         v8::Number::New(isolate, static_cast<double>(reply.error_id)))
            .FromMaybe(false);
      }
      *out = thrown;
      return false;
    }
    case HostReply::Kind::kAbort:
      execution_->RequestTermination(Termination::kInterrupted);  // the host re-raises it
      *out = v8::Local<v8::Value>();
      return false;
    case HostReply::Kind::kStopped:
    case HostReply::Kind::kPending:
      break;
  }
  return error(name + "() was interrupted");
}

void HostBridge::Settle(v8::Local<v8::Context> context,
                        v8::Local<v8::Promise::Resolver> resolver,
                        const std::string& name,
                        const HostReply& reply) {
  v8::Local<v8::Value> value;
  if (Read(context, name, reply, &value)) {
    resolver->Resolve(context, value).FromMaybe(false);
  } else if (!value.IsEmpty()) {
    resolver->Reject(context, value).FromMaybe(false);
  }
}

}  // namespace ci
