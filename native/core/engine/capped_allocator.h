#ifndef CODE_INTERPRETER_CORE_ENGINE_CAPPED_ALLOCATOR_H_
#define CODE_INTERPRETER_CORE_ENGINE_CAPPED_ALLOCATOR_H_

#include <v8.h>

#include <atomic>
#include <cstddef>
#include <functional>

namespace ci {

/**
 * ArrayBuffer memory counted against the sandbox's memory limit. An allocation that would pass
 * the limit fails. V8 then collects garbage and asks again (four asks in all); only when the
 * refusals persist through those collections is the overrun reported, so the execution ends as
 * a memory-limit hit rather than a catchable error, while buffers that were merely waiting to
 * be collected never cause one.
 */
class CappedArrayBufferAllocator final : public v8::ArrayBuffer::Allocator {
 public:
  CappedArrayBufferAllocator(size_t limit_bytes, std::function<void()> on_limit);
  CappedArrayBufferAllocator(const CappedArrayBufferAllocator&) = delete;
  CappedArrayBufferAllocator& operator=(const CappedArrayBufferAllocator&) = delete;

  void* Allocate(size_t length) override;
  void* AllocateUninitialized(size_t length) override;
  void Free(void* data, size_t length) override;

  size_t used() const { return used_.load(std::memory_order_relaxed); }
  // Each execution starts with no refusals held against it.
  void ResetRefusals() { refusals_.store(0, std::memory_order_relaxed); }
  size_t limit() const { return limit_; }

 private:
  bool Reserve(size_t length);

  // Consecutive refusals after which the overrun is real: V8 retries twice after a
  // collection and once more after a last-resort collection.
  static constexpr int kRefusalsBeforeReport = 4;

  const size_t limit_;
  std::function<void()> on_limit_;
  std::atomic<size_t> used_{0};
  std::atomic<int> refusals_{0};
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_CAPPED_ALLOCATOR_H_
