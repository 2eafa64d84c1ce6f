#include "core/engine/capped_allocator.h"

#include <cstdlib>
#include <utility>

namespace ci {

CappedArrayBufferAllocator::CappedArrayBufferAllocator(size_t limit_bytes,
                                                       std::function<void()> on_limit)
    : limit_(limit_bytes), on_limit_(std::move(on_limit)) {}

bool CappedArrayBufferAllocator::Reserve(size_t length) {
  size_t current = used_.load(std::memory_order_relaxed);
  do {
    if (length > limit_ || current > limit_ - length) {
      if (refusals_.fetch_add(1, std::memory_order_relaxed) + 1 >= kRefusalsBeforeReport &&
          on_limit_) {
        on_limit_();
      }
      return false;
    }
  } while (!used_.compare_exchange_weak(current, current + length, std::memory_order_relaxed));
  refusals_.store(0, std::memory_order_relaxed);
  return true;
}

void* CappedArrayBufferAllocator::Allocate(size_t length) {
  if (!Reserve(length)) {
    return nullptr;
  }
  void* data = std::calloc(length ? length : 1, 1);
  if (data == nullptr) {
    used_.fetch_sub(length, std::memory_order_relaxed);
  }
  return data;
}

void* CappedArrayBufferAllocator::AllocateUninitialized(size_t length) {
  if (!Reserve(length)) {
    return nullptr;
  }
  void* data = std::malloc(length ? length : 1);
  if (data == nullptr) {
    used_.fetch_sub(length, std::memory_order_relaxed);
  }
  return data;
}

void CappedArrayBufferAllocator::Free(void* data, size_t length) {
  std::free(data);
  used_.fetch_sub(length, std::memory_order_relaxed);
}

}  // namespace ci
