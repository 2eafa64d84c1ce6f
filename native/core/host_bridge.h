#ifndef CODE_INTERPRETER_CORE_HOST_BRIDGE_H_
#define CODE_INTERPRETER_CORE_HOST_BRIDGE_H_

#include <v8.h>

#include <cstdint>
#include <string>

#include "core/host_functions.h"

namespace ci {

/**
 * The JS side of host functions: each name a global function whose arguments are copied out
 * in wire format, whose result is copied in, and whose host exception is thrown at the call
 * site as an Error (name and message of the exception). V8 sees the functions as having side
 * effects, so a recycled attempt (core/recycled_run.h) is declined before any call.
 */
class HostBridge {
 public:
  // Use with `context` entered. False if V8 refused.
  static bool Install(v8::Local<v8::Context> context, const HostFunctions& host);
  // The host exception an error thrown by a host function stands for; 0 for any other value.
  static uint64_t ErrorId(v8::Local<v8::Context> context, v8::Local<v8::Value> error);
  // Settles the promise of a call of `name` that was answered later.
  static void Settle(v8::Local<v8::Context> context,
                     v8::Local<v8::Promise::Resolver> resolver,
                     const std::string& name,
                     const HostReply& reply);

 private:
  static void Call(const v8::FunctionCallbackInfo<v8::Value>& info);
  // The reply as a value (true), or as the error to throw or reject with (false; empty when
  // the execution is being stopped).
  static bool Read(v8::Local<v8::Context> context,
                   const std::string& name,
                   const HostReply& reply,
                   v8::Local<v8::Value>* out);
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_HOST_BRIDGE_H_
