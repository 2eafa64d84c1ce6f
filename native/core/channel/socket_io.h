#ifndef CODE_INTERPRETER_CORE_CHANNEL_SOCKET_IO_H_
#define CODE_INTERPRETER_CORE_CHANNEL_SOCKET_IO_H_

#include <algorithm>
#include <chrono>
#include <string>

#include "core/channel/message.h"
#include "core/engine/clock.h"

namespace ci {

// Writes a whole message (MessageWriter::Finish) to a stream socket. False when the peer is
// gone; never raises SIGPIPE.
bool SendMessage(int fd, const std::string& message);

enum class Received { kMessage, kClosed, kTimedOut };

/**
 * Whether a wait on a channel spins a little before it sleeps. A wait that sleeps costs, on an
 * otherwise idle machine, the wake-up of an idle core on each side of a round trip (tens of
 * microseconds on a VM, twice per call); a short spin spares closely spaced messages that cost.
 * Adaptive: a window that passes without a message turns spinning off for the next waits, for
 * twice as many each time (up to a bound), so sparse messages, long executions and a loaded
 * machine (where the peer may not even be running) cost a spin only now and then. One per
 * waiting side of a channel; not thread-safe.
 */
class WaitSpinning {
 public:
  static constexpr auto kWindow = std::chrono::microseconds(50);

  // Whether this wait spins first.
  bool ShouldSpin() {
    if (skip_ > 0) {
      --skip_;
      return false;
    }
    return true;
  }
  // What the spin of this wait gave.
  void Spun(bool arrived) {
    if (arrived) {
      backoff_ = kFirstBackoff;
    } else {
      skip_ = backoff_;
      backoff_ = std::min(backoff_ * 2, kMostBackoff);
    }
  }

 private:
  static constexpr int kFirstBackoff = 4;
  static constexpr int kMostBackoff = 1024;
  int skip_ = 0;
  int backoff_ = kFirstBackoff;
};

/**
 * One reading side of a channel: how its waits spin, and what it read ahead. A read takes what
 * has arrived, up to kReadAhead bytes, so a small message (and the start of the next) costs one
 * system call, not one for its header and one for its body. Larger bodies are read straight
 * into their payload. One reader at a time; a side that reads with one must always read with it.
 */
class ChannelReader {
 public:
  static constexpr size_t kReadAhead = 16 << 10;

  WaitSpinning& spinning() { return spinning_; }

 private:
  friend Received ReceiveMessage(int,
                                 Clock::time_point,
                                 MessageType*,
                                 std::string*,
                                 ChannelReader*);
  size_t buffered() const { return end_ - begin_; }

  WaitSpinning spinning_;
  std::string ahead_;  // kReadAhead bytes once the first read needs them
  size_t begin_ = 0;   // the unread bytes are [begin_, end_)
  size_t end_ = 0;
};

/**
 * Reads one message from a stream socket into `type` and `payload`, waiting at most until
 * `deadline` (Clock::time_point::max(): for ever). kClosed when the peer closed the channel
 * between messages; ChannelError for a length out of bounds, an unknown type or a message cut
 * short. The payload grows as bytes arrive, so a length alone never makes a large allocation.
 * Without `reader`, exactly the message's bytes are read; with it, its read-ahead is used and
 * the wait for the message's first bytes may spin first (WaitSpinning).
 */
Received ReceiveMessage(int fd,
                        Clock::time_point deadline,
                        MessageType* type,
                        std::string* payload,
                        ChannelReader* reader = nullptr);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_CHANNEL_SOCKET_IO_H_
