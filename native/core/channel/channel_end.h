#ifndef CODE_INTERPRETER_CORE_CHANNEL_CHANNEL_END_H_
#define CODE_INTERPRETER_CORE_CHANNEL_CHANNEL_END_H_

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>

#include "core/channel/message.h"
#include "core/channel/shared_ring.h"
#include "core/channel/spin_gate.h"
#include "core/engine/clock.h"

namespace ci {

enum class Received { kMessage, kClosed, kTimedOut };

/**
 * Whether a wait for a message spins a little before it sleeps. A sleep costs a wake-up of an
 * idle core on each side of a round trip (tens of microseconds on a VM, twice per call); a
 * short spin on the ring's counter spares closely spaced messages that cost, without a system
 * call. Adaptive, on the share of recent spins that saw their message (a moving average): while
 * most do, every wait spins, so an occasional slow answer costs one window and nothing after
 * it; once few do (sparse messages, long executions, a loaded machine where the peer may not
 * even be running), only one wait in kProbeEvery spins, to notice when they come closer again.
 */
class WaitSpinning {
 public:
  static constexpr auto kWindow = std::chrono::microseconds(50);

  // Whether this wait spins first.
  bool ShouldSpin() { return hits_ >= kWorthSpinning || ++waits_ % kProbeEvery == 0; }
  // What the spin of this wait gave.
  void Spun(bool arrived) { hits_ += arrived ? (kAll - hits_) / 8 : -(hits_ / 8); }

 private:
  static constexpr int kAll = 1024;
  // Below this share of spins that saw their message, spinning costs more than it spares:
  // 8 misses in a row from always reach it; 1 hit from just under it is back above.
  static constexpr int kWorthSpinning = 384;
  static constexpr unsigned kProbeEvery = 16;
  int hits_ = kAll;
  unsigned waits_ = 0;
};

/**
 * One side's end of a worker channel: messages (a 4-byte length, a type byte, the payload;
 * core/channel/message.h) through the shared rings, and a stream socket as the doorbell. A
 * reader that finds nothing after its spin sleeps on the socket, and a writer rings it only
 * when the reader said it sleeps, so an awake pair exchanges messages without system calls.
 * The socket also says when the peer is gone: its end closes with it, whatever way it ended.
 *
 * Senders take turns (any thread); one receiver at a time.
 */
class ChannelEnd {
 public:
  ChannelEnd(SharedRegion region, int doorbell, ChannelSide side);
  ChannelEnd(const ChannelEnd&) = delete;
  ChannelEnd& operator=(const ChannelEnd&) = delete;

  int doorbell() const { return doorbell_; }
  // The gate a wait for a message's first bytes passes before it spins (the parent's side;
  // a worker does not know what else runs).
  void set_spin_gate(SpinGate* gate) { gate_ = gate; }
  // Tells the peer whether its next wait for a message may spin (the parent's word to its
  // worker); a peer told to sleep sleeps at once.
  void AdvisePeerSpinning(bool may_spin) {
    out_.control().reader_should_sleep.store(may_spin ? 0 : 1, std::memory_order_relaxed);
  }

  // Writes a whole message (MessageWriter::Finish), waiting for room as the reader frees it,
  // until `deadline`. False when the peer is gone or the deadline passed; ChannelError when the
  // peer made the ring's counters impossible.
  bool Send(const std::string& message, Clock::time_point deadline = Clock::time_point::max());
  // Reads one message, waiting until `deadline` (Clock::time_point::max(): for ever). kClosed
  // when the peer is gone between messages; ChannelError for a length out of bounds, an
  // unknown type, a message cut short or impossible counters. The payload grows as bytes
  // arrive, so a claimed length alone never makes a large allocation.
  Received Receive(Clock::time_point deadline, MessageType* type, std::string* payload);

 private:
  enum class Wait { kArrived, kClosed, kTimedOut };
  // Waits until bytes are in; `first`: the wait for a message's first bytes, which spins
  // only as WaitSpinning says.
  Wait AwaitBytes(Clock::time_point deadline, bool first);
  // Sleeps until the doorbell rings, the peer goes or the deadline passes.
  Wait Sleep(Clock::time_point deadline);
  // Waits for room in the outgoing ring (under write_mutex_).
  bool AwaitRoom(Clock::time_point deadline);
  bool PeerGone() const;
  // Copies `size` bytes of the incoming ring out as they arrive.
  Wait ReadExactly(Clock::time_point deadline, char* into, size_t size);

  const SharedRegion region_;
  const int doorbell_;
  std::mutex write_mutex_;
  RingProducer out_;  // under write_mutex_
  RingConsumer in_;
  WaitSpinning spinning_;
  SpinGate* gate_ = nullptr;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_CHANNEL_CHANNEL_END_H_
