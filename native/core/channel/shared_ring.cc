#include "core/channel/shared_ring.h"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/channel/message.h"

namespace ci {
namespace {

static_assert(sizeof(RingControl) <= 4096, "a ring's control fits its page");
static_assert((kRingBytes & (kRingBytes - 1)) == 0, "counters wrap at 2^32, a multiple of it");

[[noreturn]] void Failed(const char* what) {
  throw std::runtime_error(std::string(what) + ": " + strerror(errno));
}

}  // namespace

SharedRegion SharedRegion::Create(int* fd) {
  *fd = static_cast<int>(syscall(SYS_memfd_create, "code-interpreter-channel", MFD_CLOEXEC));
  if (*fd < 0) {
    Failed("cannot make a worker channel's memory");
  }
  if (ftruncate(*fd, kSharedRegionBytes) != 0) {
    const int error = errno;
    close(*fd);
    errno = error;
    Failed("cannot size a worker channel's memory");
  }
  try {
    return Map(*fd);
  } catch (const std::runtime_error&) {
    close(*fd);
    throw;
  }
}

SharedRegion SharedRegion::Map(int fd) {
  void* base = mmap(nullptr, kSharedRegionBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    Failed("cannot map a worker channel's memory");
  }
  return SharedRegion(base);
}

SharedRegion::~SharedRegion() {
  if (base_ != nullptr) {
    munmap(base_, kSharedRegionBytes);
  }
}

RingProducer::RingProducer(char* ring)
    : control_(reinterpret_cast<RingControl*>(ring)), bytes_(ring + 4096) {}

uint32_t RingProducer::Room() const {
  const uint32_t in_flight = written_ - control_->read.load(std::memory_order_acquire);
  if (in_flight > kRingBytes) {
    throw ChannelError("the worker channel's reader claims bytes that were never written");
  }
  return kRingBytes - in_flight;
}

void RingProducer::Put(const char* bytes, uint32_t size) {
  const uint32_t at = written_ & (kRingBytes - 1);
  const uint32_t first = std::min(size, kRingBytes - at);
  std::memcpy(bytes_ + at, bytes, first);
  std::memcpy(bytes_, bytes + first, size - first);
  written_ += size;
  // seq_cst: ordered before the check of reader_asleep that follows (ChannelEnd::Send).
  control_->written.store(written_, std::memory_order_seq_cst);
}

RingConsumer::RingConsumer(char* ring)
    : control_(reinterpret_cast<RingControl*>(ring)), bytes_(ring + 4096) {}

uint32_t RingConsumer::Available() const {
  const uint32_t arrived = control_->written.load(std::memory_order_seq_cst) - read_;
  if (arrived > kRingBytes) {
    throw ChannelError("the worker channel claims more bytes than its ring holds");
  }
  return arrived;
}

void RingConsumer::Take(char* into, uint32_t size) {
  const uint32_t at = read_ & (kRingBytes - 1);
  const uint32_t first = std::min(size, kRingBytes - at);
  std::memcpy(into, bytes_ + at, first);
  std::memcpy(into + first, bytes_, size - first);
  read_ += size;
  control_->read.store(read_, std::memory_order_seq_cst);
  if (control_->writer_waiting.load(std::memory_order_seq_cst) != 0 &&
      control_->writer_waiting.exchange(0) != 0) {
    syscall(SYS_futex, &control_->read, FUTEX_WAKE, 1, nullptr, nullptr, 0);
  }
}

}  // namespace ci
