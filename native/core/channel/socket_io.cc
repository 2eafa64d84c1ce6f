#include "core/channel/socket_io.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace ci {
namespace {

enum class Waited { kReadable, kTimedOut };

Waited WaitReadable(int fd, Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) {
    return Waited::kReadable;  // recv blocks
  }
  for (;;) {
    const double left_ms = -MsSince(deadline);
    if (left_ms <= 0) {
      return Waited::kTimedOut;
    }
    pollfd poll_fd{fd, POLLIN, 0};
    const int ready = poll(&poll_fd, 1, static_cast<int>(std::min(left_ms + 1, 60000.0)));
    if (ready > 0) {
      return Waited::kReadable;  // data, or a hang-up that recv reports
    }
    if (ready < 0 && errno != EINTR) {
      throw ChannelError("waiting on the worker channel failed");
    }
  }
}

// Reads up to `size` bytes; 0 at the peer's end of stream.
size_t ReadSome(int fd, Clock::time_point deadline, char* into, size_t size, bool* timed_out) {
  for (;;) {
    if (WaitReadable(fd, deadline) == Waited::kTimedOut) {
      *timed_out = true;
      return 0;
    }
    const ssize_t got = recv(fd, into, size, 0);
    if (got >= 0) {
      return static_cast<size_t>(got);
    }
    if (errno == ECONNRESET) {
      return 0;
    }
    if (errno != EINTR && errno != EAGAIN) {
      throw ChannelError("reading the worker channel failed");
    }
  }
}

// Reads what has arrived, without waiting, until something has or the spin window passes.
size_t SpinRead(int fd, Clock::time_point deadline, char* into, size_t size) {
  const Clock::time_point until = std::min(deadline, Clock::now() + WaitSpinning::kWindow);
  do {
    const ssize_t got = recv(fd, into, size, MSG_DONTWAIT);
    if (got > 0) {
      return static_cast<size_t>(got);
    }
    if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      return 0;  // the end of the stream, or an error: the blocking read reports it
    }
  } while (Clock::now() < until);
  return 0;
}

}  // namespace

bool SendMessage(int fd, const std::string& message) {
  size_t sent = 0;
  while (sent < message.size()) {
    const ssize_t wrote = send(fd, message.data() + sent, message.size() - sent, MSG_NOSIGNAL);
    if (wrote < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    sent += static_cast<size_t>(wrote);
  }
  return true;
}

namespace {

// The body length and type a message's header gives, or ChannelError.
size_t ParseHeader(const char* header, MessageType* type) {
  uint32_t length = 0;
  for (int i = 0; i < 4; ++i) {
    length |= static_cast<uint32_t>(static_cast<uint8_t>(header[i])) << (8 * i);
  }
  const auto kind = static_cast<uint8_t>(header[4]);
  if (length == 0 || length > kMaxMessageBytes) {
    throw ChannelError("a message on the worker channel claims " + std::to_string(length) +
                       " bytes");
  }
  if (kind < static_cast<uint8_t>(MessageType::kSetup) ||
      kind > static_cast<uint8_t>(MessageType::kHostCompletion)) {
    throw ChannelError("a message on the worker channel has an unknown type");
  }
  *type = static_cast<MessageType>(kind);
  return length - 1;
}

// Reads the rest of a body of which `payload` holds the start.
Received ReadBody(int fd, Clock::time_point deadline, size_t body, std::string* payload) {
  size_t read = payload->size();
  bool timed_out = false;
  while (read < body) {
    // Grows with what arrived: a claimed length costs nothing until its bytes come.
    const size_t chunk = std::min(body - read, std::max<size_t>(read, 64 << 10));
    payload->resize(read + chunk);
    const size_t got = ReadSome(fd, deadline, payload->data() + read, chunk, &timed_out);
    if (timed_out) {
      return Received::kTimedOut;
    }
    if (got == 0) {
      throw ChannelError("the worker channel closed inside a message");
    }
    read += got;
    payload->resize(read);
  }
  return Received::kMessage;
}

}  // namespace

Received ReceiveMessage(int fd,
                        Clock::time_point deadline,
                        MessageType* type,
                        std::string* payload,
                        ChannelReader* reader) {
  constexpr size_t kHeader = 5;
  char exact[kHeader];
  char* header = exact;
  // Without a reader the header is read alone; with one, as much as has arrived is.
  char* into = exact;
  size_t room = kHeader;
  size_t have = 0;
  if (reader != nullptr) {
    if (reader->ahead_.empty()) {
      reader->ahead_.resize(ChannelReader::kReadAhead);
    }
    if (reader->begin_ > 0) {  // what is left goes to the front
      std::memmove(reader->ahead_.data(), reader->ahead_.data() + reader->begin_,
                   reader->buffered());
      reader->end_ -= reader->begin_;
      reader->begin_ = 0;
    }
    header = into = reader->ahead_.data();
    room = reader->ahead_.size();
    have = reader->end_;
    if (have == 0 && reader->spinning_.ShouldSpin()) {
      have = SpinRead(fd, deadline, into, room);
      reader->spinning_.Spun(have > 0);
    }
  }
  bool timed_out = false;
  while (have < kHeader) {
    const size_t got = ReadSome(fd, deadline, into + have, room - have, &timed_out);
    if (timed_out || got == 0) {
      if (reader != nullptr) {
        reader->end_ = have;
      }
      if (timed_out) {
        return Received::kTimedOut;
      }
      if (have == 0) {
        return Received::kClosed;
      }
      throw ChannelError("the worker channel closed inside a message");
    }
    have += got;
  }
  const size_t body = ParseHeader(header, type);
  payload->clear();
  if (reader != nullptr) {
    const size_t taken = std::min(body, have - kHeader);
    payload->assign(header + kHeader, taken);
    reader->begin_ = kHeader + taken;
    reader->end_ = have;
  }
  return ReadBody(fd, deadline, body, payload);
}

}  // namespace ci
