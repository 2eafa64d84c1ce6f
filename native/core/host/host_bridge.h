#ifndef CODE_INTERPRETER_CORE_HOST_HOST_BRIDGE_H_
#define CODE_INTERPRETER_CORE_HOST_HOST_BRIDGE_H_

#include <v8.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/engine/termination_state.h"
#include "core/host/host_completions.h"
#include "core/host/host_functions.h"

namespace ci {

/**
 * The JS side of host functions, one per isolate: each name a global function whose arguments
 * are copied out in wire format, whose result is copied in, and whose host exception is thrown
 * at the call site as an Error (name and message of the exception). V8 sees the functions as
 * having side effects, so a recycled attempt (core/run/recycled_run.h) is declined before any
 * call. Each function's data points at this bridge and its index: a call needs nothing else.
 */
class HostBridge {
 public:
  // `caller` names the isolate to the host (HostCall::caller); `execution` is what calls may
  // stop; arguments and results are bounded by `memory_limit_bytes`.
  HostBridge(HostFunctions* host,
             std::shared_ptr<HostCompletions> completions,
             ExecutionControl* execution,
             const void* caller,
             size_t memory_limit_bytes);
  HostBridge(const HostBridge&) = delete;
  HostBridge& operator=(const HostBridge&) = delete;

  // Use with `context` entered. False if V8 refused.
  bool Install(v8::Local<v8::Context> context);
  // The host exception an error thrown by a host function stands for; 0 for any other value.
  static uint64_t ErrorId(v8::Local<v8::Context> context, v8::Local<v8::Value> error);
  // Settles the promise of a call of `name` that was answered later.
  void Settle(v8::Local<v8::Context> context,
              v8::Local<v8::Promise::Resolver> resolver,
              const std::string& name,
              const HostReply& reply);

 private:
  /** A function's data: its bridge and its index among the host's names. */
  struct Entry {
    HostBridge* bridge;
    size_t index;
  };

  static void Call(const v8::FunctionCallbackInfo<v8::Value>& info);
  void Call(const v8::FunctionCallbackInfo<v8::Value>& info, size_t index);
  // The reply as a value (true), or as the error to throw or reject with (false; empty when
  // the execution is being stopped).
  bool Read(v8::Local<v8::Context> context,
            const std::string& name,
            const HostReply& reply,
            v8::Local<v8::Value>* out);

  HostFunctions* const host_;
  const std::shared_ptr<HostCompletions> completions_;
  ExecutionControl* const execution_;
  const void* const caller_;
  const size_t memory_limit_bytes_;
  std::vector<Entry> entries_;  // fixed at construction: functions point into it
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_HOST_HOST_BRIDGE_H_
