#include "core/channel/socket_io.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

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

Received ReceiveMessage(int fd,
                        Clock::time_point deadline,
                        MessageType* type,
                        std::string* payload,
                        WaitSpinning* spinning) {
  char header[5];
  size_t have = 0;
  bool timed_out = false;
  if (spinning != nullptr && spinning->ShouldSpin()) {
    have = SpinRead(fd, deadline, header, sizeof header);
    spinning->Spun(have > 0);
  }
  while (have < sizeof header) {
    const size_t got = ReadSome(fd, deadline, header + have, sizeof header - have, &timed_out);
    if (timed_out) {
      return Received::kTimedOut;
    }
    if (got == 0) {
      if (have == 0) {
        return Received::kClosed;
      }
      throw ChannelError("the worker channel closed inside a message");
    }
    have += got;
  }
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
  const size_t body = length - 1;
  payload->clear();
  size_t read = 0;
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

}  // namespace ci
