#ifndef CODE_INTERPRETER_CORE_CHANNEL_MESSAGE_H_
#define CODE_INTERPRETER_CORE_CHANNEL_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ci {

/**
 * The messages between a sandbox and its worker processes (core/process/): a 4-byte length,
 * then a type byte and the payload. The parent never trusts what a worker sends: every read
 * below is bounded and throws ChannelError at the first byte that does not fit.
 */
enum class MessageType : uint8_t {
  kSetup = 1,       // parent -> worker: the isolate's configuration, once
  kReady,           // worker -> parent: what the lockdown applied
  kExecute,         // parent -> worker: one execution
  kOutcome,         // worker -> parent: its outcome, and the worker's figures
  kFailure,         // worker -> parent: why the worker cannot go on (then it exits)
  kHostCall,        // worker -> parent: script called a host function (the execution waits)
  kHostReply,       // parent -> worker: that call's reply
  kHostCompletion,  // parent -> worker: the later reply of a call answered kPending
};

// A value's wire form is bounded by ConversionLimits::max_bytes (256 MB); code by 64 MB.
constexpr size_t kMaxMessageBytes = size_t{320} << 20;

class ChannelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** Builds one message; fields are little-endian, strings length-prefixed. */
class MessageWriter {
 public:
  explicit MessageWriter(MessageType type);
  void U8(uint8_t value) { buffer_.push_back(static_cast<char>(value)); }
  void Bool(bool value) { U8(value ? 1 : 0); }
  void U32(uint32_t value);
  void U64(uint64_t value);
  void I64(int64_t value) { U64(static_cast<uint64_t>(value)); }
  void F64(double value);
  void Text(std::string_view text);
  // The whole message, its length filled in; the writer is done with it.
  std::string Finish();

 private:
  std::string buffer_;
};

/** Reads one message's payload; each call throws ChannelError past its end or its bounds. */
class MessageReader {
 public:
  explicit MessageReader(std::string_view payload) : rest_(payload) {}
  uint8_t U8();
  bool Bool();
  uint32_t U32();
  uint64_t U64();
  int64_t I64() { return static_cast<int64_t>(U64()); }
  double F64();
  // At most `max_bytes` long.
  std::string_view Text(size_t max_bytes);
  // A count of items that each take at least `min_item_bytes` of what is left.
  uint32_t Count(size_t min_item_bytes);
  // Throws unless every byte was read.
  void ExpectEnd() const;

 private:
  std::string_view Take(size_t bytes);
  std::string_view rest_;
};

// A list of short names (globals, namespaces, console levels), each at most kMaxNameBytes.
constexpr size_t kMaxNameBytes = 1 << 10;
void PutNames(MessageWriter& out, const std::vector<std::string>& names);
std::vector<std::string> TakeNames(MessageReader& in);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_CHANNEL_MESSAGE_H_
