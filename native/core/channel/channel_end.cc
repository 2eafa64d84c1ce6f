#include "core/channel/channel_end.h"

#include <linux/futex.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <ctime>

namespace ci {
namespace {

// A spinning core's hint to its sibling and to the hypervisor.
inline void CpuRelax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// How long a wait for room sleeps before it looks whether the peer is still there.
constexpr auto kRoomSlice = std::chrono::milliseconds(20);

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

timespec Relative(Clock::duration duration) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
  return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

}  // namespace

ChannelEnd::ChannelEnd(SharedRegion region, int doorbell, ChannelSide side)
    : region_(std::move(region)),
      doorbell_(doorbell),
      out_(region_.outgoing(side)),
      in_(region_.incoming(side)) {}

bool ChannelEnd::Send(const std::string& message, Clock::time_point deadline) {
  std::lock_guard<std::mutex> lock(write_mutex_);
  size_t sent = 0;
  while (sent < message.size()) {
    const uint32_t room = out_.Room();
    if (room == 0) {
      if (!AwaitRoom(deadline)) {
        return false;
      }
      continue;
    }
    const auto size = static_cast<uint32_t>(std::min<size_t>(room, message.size() - sent));
    out_.Put(message.data() + sent, size);
    sent += size;
    std::atomic<uint32_t>& asleep = out_.control().reader_asleep;
    if (asleep.load(std::memory_order_seq_cst) != 0 && asleep.exchange(0) != 0) {
      const char ring = 0;
      // A full socket holds rings enough; a closed one is found by the wait that follows.
      if (send(doorbell_, &ring, 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno == EPIPE) {
        return false;
      }
    }
  }
  return true;
}

bool ChannelEnd::AwaitRoom(Clock::time_point deadline) {
  RingControl& control = out_.control();
  const Clock::time_point until = std::min(deadline, Clock::now() + WaitSpinning::kWindow);
  while (Clock::now() < until) {
    if (out_.Room() > 0) {
      return true;
    }
    CpuRelax();
  }
  for (;;) {
    const uint32_t seen = control.read.load(std::memory_order_seq_cst);
    control.writer_waiting.store(1, std::memory_order_seq_cst);
    if (out_.Room() > 0) {
      control.writer_waiting.store(0);
      return true;
    }
    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      return false;
    }
    const timespec slice = Relative(std::min<Clock::duration>(deadline - now, kRoomSlice));
    syscall(SYS_futex, &control.read, FUTEX_WAIT, seen, &slice, nullptr, 0);
    if (out_.Room() > 0) {
      return true;
    }
    if (PeerGone()) {
      return false;
    }
  }
}

bool ChannelEnd::PeerGone() const {
  // A send of nothing fails once the peer's end is closed, rings queued for this side's reader
  // or not (a look at them would have to take them from it).
  return send(doorbell_, nullptr, 0, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno == EPIPE;
}

ChannelEnd::Wait ChannelEnd::Sleep(Clock::time_point deadline) {
  char rings[64];
  ssize_t got;
  if (deadline == Clock::time_point::max()) {
    do {
      got = recv(doorbell_, rings, sizeof rings, 0);
    } while (got < 0 && errno == EINTR);
  } else {
    for (;;) {
      const double left_ms = -MsSince(deadline);
      if (left_ms <= 0) {
        return Wait::kTimedOut;
      }
      pollfd ready{doorbell_, POLLIN, 0};
      const int polled = poll(&ready, 1, static_cast<int>(std::min(left_ms + 1, 60000.0)));
      if (polled > 0) {
        break;  // rung, or the peer's end closed: recv tells which
      }
      if (polled < 0 && errno != EINTR) {
        throw ChannelError("waiting on the worker channel failed");
      }
    }
    got = recv(doorbell_, rings, sizeof rings, MSG_DONTWAIT);
  }
  if (got == 0 || (got < 0 && errno == ECONNRESET)) {
    return Wait::kClosed;
  }
  if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    throw ChannelError("reading the worker channel failed");
  }
  // Rings left over from writes this side saw without sleeping, when the read took a full
  // buffer (else it took them all): a bounded drain, so a peer that rings without end cannot
  // keep this side here.
  for (int i = 0; i < 16 && got == sizeof rings; ++i) {
    got = recv(doorbell_, rings, sizeof rings, MSG_DONTWAIT);
  }
  return Wait::kArrived;
}

ChannelEnd::Wait ChannelEnd::AwaitBytes(Clock::time_point deadline, bool first) {
  if (in_.Available() > 0) {
    return Wait::kArrived;
  }
  const bool spin =
      !first || (in_.control().reader_should_sleep.load(std::memory_order_relaxed) == 0 &&
                 spinning_.ShouldSpin() && (gate_ == nullptr || gate_->SpinBegins()));
  if (spin) {
    const Clock::time_point until = std::min(deadline, Clock::now() + WaitSpinning::kWindow);
    bool arrived = false;
    do {
      for (int i = 0; i < 32 && !arrived; ++i) {
        CpuRelax();
        arrived = in_.Available() > 0;
      }
    } while (!arrived && Clock::now() < until);
    if (first) {
      spinning_.Spun(arrived);
      if (gate_ != nullptr) {
        gate_->SpinEnds();
      }
    }
    if (arrived) {
      return Wait::kArrived;
    }
  }
  std::atomic<uint32_t>& asleep = in_.control().reader_asleep;
  for (;;) {
    asleep.store(1, std::memory_order_seq_cst);
    if (in_.Available() > 0) {
      asleep.store(0);
      return Wait::kArrived;
    }
    const Wait slept = Sleep(deadline);
    asleep.store(0);
    // What arrived before the peer went, or before the deadline, is read first.
    if (in_.Available() > 0) {
      return Wait::kArrived;
    }
    if (slept != Wait::kArrived) {
      return slept;
    }
  }
}

ChannelEnd::Wait ChannelEnd::ReadExactly(Clock::time_point deadline, char* into, size_t size) {
  size_t read = 0;
  while (read < size) {
    const Wait waited = AwaitBytes(deadline, false);
    if (waited != Wait::kArrived) {
      return waited;
    }
    const auto take = static_cast<uint32_t>(std::min<size_t>(in_.Available(), size - read));
    in_.Take(into + read, take);
    read += take;
  }
  return Wait::kArrived;
}

Received ChannelEnd::Receive(Clock::time_point deadline, MessageType* type, std::string* payload) {
  char header[5];
  // The header's bytes may come apart; a peer gone before the first one ends the stream cleanly.
  if (in_.Available() == 0) {
    const Wait waited = AwaitBytes(deadline, true);
    if (waited == Wait::kClosed) {
      return Received::kClosed;
    }
    if (waited == Wait::kTimedOut) {
      return Received::kTimedOut;
    }
  }
  Wait waited = ReadExactly(deadline, header, sizeof header);
  if (waited == Wait::kClosed) {
    throw ChannelError("the worker channel closed inside a message");
  }
  if (waited == Wait::kTimedOut) {
    return Received::kTimedOut;
  }
  const size_t body = ParseHeader(header, type);
  payload->clear();
  size_t read = 0;
  while (read < body) {
    waited = AwaitBytes(deadline, false);
    if (waited == Wait::kClosed) {
      throw ChannelError("the worker channel closed inside a message");
    }
    if (waited == Wait::kTimedOut) {
      return Received::kTimedOut;
    }
    // Grows with what arrived: a claimed length costs nothing until its bytes come.
    const auto take = static_cast<uint32_t>(std::min<size_t>(in_.Available(), body - read));
    payload->resize(read + take);
    in_.Take(payload->data() + read, take);
    read += take;
  }
  return Received::kMessage;
}

}  // namespace ci
