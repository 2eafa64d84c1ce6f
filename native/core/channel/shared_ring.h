#ifndef CODE_INTERPRETER_CORE_CHANNEL_SHARED_RING_H_
#define CODE_INTERPRETER_CORE_CHANNEL_SHARED_RING_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace ci {

/**
 * The memory a parent shares with one worker: two byte rings, one per direction. A message
 * crosses as a copy into the ring and a counter's store, so a round trip needs no system call
 * while both sides are awake (core/channel/channel_end.h says how they sleep).
 *
 * Each side keeps its own counters privately and only publishes them here: what the other side
 * writes into this memory (the worker may be hostile) is read once per use and checked, never
 * trusted, and a message is copied out of the ring before anything parses it.
 */
struct RingControl {
  alignas(64) std::atomic<uint32_t> written;  // bytes ever written: the producer's
  alignas(64) std::atomic<uint32_t> read;     // bytes ever read: the consumer's; a futex word
  // Set by the consumer before it sleeps on the doorbell (the channel's socket); the producer
  // that finds it set clears it and rings.
  alignas(64) std::atomic<uint32_t> reader_asleep;
  // Set by a producer waiting for room before it sleeps on `read`; the consumer wakes it.
  alignas(64) std::atomic<uint32_t> writer_waiting;
  // Set by the producer when the consumer's next wait should not spin: the parent's word to
  // its worker that the machine's cores are taken (core/channel/spin_gate.h).
  std::atomic<uint32_t> reader_should_sleep;
};

constexpr uint32_t kRingBytes = 128 << 10;         // per direction
constexpr size_t kRingStride = 4096 + kRingBytes;  // a control page, then the bytes
constexpr size_t kSharedRegionBytes = 2 * kRingStride;

// Which side of the channel this is: its first ring is the one it writes.
enum class ChannelSide { kParent, kWorker };

/** A mapping of the shared region, unmapped when it goes. */
class SharedRegion {
 public:
  // A new region: its memory file's descriptor (close-on-exec) in `fd`. Throws
  // std::runtime_error.
  static SharedRegion Create(int* fd);
  // The region behind `fd` (a worker's, handed over at its start). Throws std::runtime_error.
  static SharedRegion Map(int fd);
  SharedRegion(SharedRegion&& other) noexcept : base_(other.base_) { other.base_ = nullptr; }
  SharedRegion& operator=(SharedRegion&&) = delete;
  SharedRegion(const SharedRegion&) = delete;
  ~SharedRegion();

  // The ring `side` writes and the one it reads.
  char* outgoing(ChannelSide side) const { return Ring(side == ChannelSide::kParent ? 0 : 1); }
  char* incoming(ChannelSide side) const { return Ring(side == ChannelSide::kParent ? 1 : 0); }

 private:
  explicit SharedRegion(void* base) : base_(base) {}
  char* Ring(int index) const { return static_cast<char*>(base_) + index * kRingStride; }
  void* base_;
};

/** The writing side of one ring. Not thread-safe: writers take turns. */
class RingProducer {
 public:
  explicit RingProducer(char* ring);
  RingControl& control() const { return *control_; }
  // Room for more bytes; ChannelError when the consumer's counter is impossible.
  uint32_t Room() const;
  // Copies `size` bytes (at most Room()) in and publishes them.
  void Put(const char* bytes, uint32_t size);

 private:
  RingControl* control_;
  char* bytes_;
  uint32_t written_ = 0;  // ours: never read back from the shared memory
};

/** The reading side of one ring. One reader at a time. */
class RingConsumer {
 public:
  explicit RingConsumer(char* ring);
  RingControl& control() const { return *control_; }
  // Bytes that have arrived; ChannelError when the producer's counter is impossible.
  uint32_t Available() const;
  // Copies `size` bytes (at most Available()) out and frees their room.
  void Take(char* into, uint32_t size);

 private:
  RingControl* control_;
  const char* bytes_;
  uint32_t read_ = 0;  // ours: never read back from the shared memory
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_CHANNEL_SHARED_RING_H_
