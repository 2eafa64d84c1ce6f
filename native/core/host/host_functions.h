#ifndef CODE_INTERPRETER_CORE_HOST_HOST_FUNCTIONS_H_
#define CODE_INTERPRETER_CORE_HOST_HOST_FUNCTIONS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ci {

/**
 * A primitive that crosses without the wire format, by the same mapping: null and undefined,
 * booleans, numbers (kInt for integral ones within 2^53, not -0), and strings of one-byte
 * characters (their Latin-1 bytes in `text`). Anything else takes the wire format.
 */
struct HostScalar {
  enum class Type : uint8_t { kUndefined, kNull, kFalse, kTrue, kInt, kDouble, kLatin1 };
  Type type = Type::kUndefined;
  int64_t integer = 0;
  double number = 0;
  std::string text;
};

/** A call's arguments: all primitives as scalars, or else all of them as one wire array. */
struct HostArguments {
  bool scalar = true;
  std::vector<HostScalar> scalars;
  std::string wire;  // a JS array in V8's wire format, when not `scalar`
};

/** What a host function gave back to script. */
struct HostReply {
  // kPending: the host will post the reply later (HostCompletionSink); script gets a promise.
  // kAbort: the host must end the whole execution at once (an interrupt the caller receives,
  // such as Python's KeyboardInterrupt), which script may not catch.
  enum class Kind { kValue, kError, kStopped, kPending, kAbort };
  Kind kind = Kind::kValue;
  bool scalar = false;  // kValue: the result is `value`, else `wire`
  HostScalar value;
  std::string wire;  // kValue: the result in V8's wire format (core/values/wire.h)
  // kError: thrown at the call site as an Error with this name and message (a TypeError when
  // `type_error`: the arguments could not cross); `error_id` (non-zero) names the host's
  // exception, for Outcome::host_error.
  bool type_error = false;
  std::string name;
  std::string message;
  uint64_t error_id = 0;
};

/** Where the host posts the replies of calls it answered kPending; any thread. */
class HostCompletionSink {
 public:
  virtual ~HostCompletionSink() = default;
  virtual void Post(uint64_t call_id, HostReply reply) = 0;
};

/** One call: which isolate runs it, and where a later reply goes. */
struct HostCall {
  const void* caller = nullptr;
  uint64_t call_id = 0;
  std::shared_ptr<HostCompletionSink> completions;
};

/**
 * Functions of the embedding program that script may call by name (SecurityProfile::host).
 * The core knows only this interface: arguments and results cross as wire-format copies, so
 * script never holds a host object. Implemented by the bindings (bindings/host_binding.h).
 */
class HostFunctions {
 public:
  virtual ~HostFunctions() = default;

  virtual const std::vector<std::string>& names() const = 0;

  // Calls function `index` on the isolate's own thread, the isolate locked, during an
  // execution on the isolate `call.caller` identifies.
  virtual HostReply Call(const HostCall& call, size_t index, const HostArguments& arguments) = 0;

  // Any thread, never blocking: the execution on `caller` is being stopped, so a call running
  // for it should end as soon as it can (its reply is then kStopped).
  virtual void Interrupt(const void* caller) = 0;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_HOST_HOST_FUNCTIONS_H_
