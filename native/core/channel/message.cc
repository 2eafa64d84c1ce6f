#include "core/channel/message.h"

#include <cstring>
#include <utility>

namespace ci {

MessageWriter::MessageWriter(MessageType type) {
  // An execution's request and outcome fit, small values included: one allocation each.
  buffer_.reserve(512);
  buffer_.assign(4, '\0');
  U8(static_cast<uint8_t>(type));
}

namespace {

template <typename Unsigned>
void AppendLittleEndian(std::string& buffer, Unsigned value) {
  char bytes[sizeof value];
  for (size_t i = 0; i < sizeof value; ++i) {
    bytes[i] = static_cast<char>(value >> (8 * i));
  }
  buffer.append(bytes, sizeof bytes);
}

}  // namespace

void MessageWriter::U32(uint32_t value) {
  AppendLittleEndian(buffer_, value);
}

void MessageWriter::U64(uint64_t value) {
  AppendLittleEndian(buffer_, value);
}

void MessageWriter::F64(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  U64(bits);
}

void MessageWriter::Text(std::string_view text) {
  U64(text.size());
  buffer_.append(text.data(), text.size());
}

std::string MessageWriter::Finish() {
  if (buffer_.size() - 4 > kMaxMessageBytes) {
    throw ChannelError("a message of " + std::to_string(buffer_.size()) +
                       " bytes is over the channel's bound");
  }
  const auto length = static_cast<uint32_t>(buffer_.size() - 4);
  for (int i = 0; i < 4; ++i) {
    buffer_[i] = static_cast<char>(length >> (8 * i));
  }
  return std::move(buffer_);
}

std::string_view MessageReader::Take(size_t bytes) {
  if (bytes > rest_.size()) {
    throw ChannelError("a message ends inside a field");
  }
  std::string_view taken = rest_.substr(0, bytes);
  rest_.remove_prefix(bytes);
  return taken;
}

uint8_t MessageReader::U8() {
  return static_cast<uint8_t>(Take(1)[0]);
}

bool MessageReader::Bool() {
  uint8_t value = U8();
  if (value > 1) {
    throw ChannelError("a message holds a flag that is neither 0 nor 1");
  }
  return value == 1;
}

uint32_t MessageReader::U32() {
  std::string_view bytes = Take(4);
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  }
  return value;
}

uint64_t MessageReader::U64() {
  std::string_view bytes = Take(8);
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  }
  return value;
}

double MessageReader::F64() {
  uint64_t bits = U64();
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

std::string_view MessageReader::Text(size_t max_bytes) {
  uint64_t size = U64();
  if (size > max_bytes) {
    throw ChannelError("a message holds a text of " + std::to_string(size) +
                       " bytes, over its bound of " + std::to_string(max_bytes));
  }
  return Take(static_cast<size_t>(size));
}

uint32_t MessageReader::Count(size_t min_item_bytes) {
  uint32_t count = U32();
  if (min_item_bytes > 0 && count > rest_.size() / min_item_bytes) {
    throw ChannelError("a message counts more items than it holds");
  }
  return count;
}

void MessageReader::ExpectEnd() const {
  if (!rest_.empty()) {
    throw ChannelError("a message has bytes past its last field");
  }
}

namespace {
constexpr size_t kMaxNames = 1 << 16;
}  // namespace

void PutNames(MessageWriter& out, const std::vector<std::string>& names) {
  out.U32(static_cast<uint32_t>(names.size()));
  for (const std::string& name : names) {
    out.Text(name);
  }
}

std::vector<std::string> TakeNames(MessageReader& in) {
  const uint32_t count = in.Count(8);
  if (count > kMaxNames) {
    throw ChannelError("a message lists too many names");
  }
  std::vector<std::string> names;
  names.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    names.emplace_back(in.Text(kMaxNameBytes));
  }
  return names;
}

}  // namespace ci
