#ifndef CODE_INTERPRETER_BINDINGS_CONVERT_OBJECT_IDS_H_
#define CODE_INTERPRETER_BINDINGS_CONVERT_OBJECT_IDS_H_

#include <cstdint>
#include <memory>

namespace ci::bindings {

/**
 * The id each container written so far was given, by address: how a conversion finds shared
 * and cyclic references. Open addressing in one array (no allocation per container, as a
 * node-based map makes), grown to keep it at most half full.
 */
class ObjectIds {
 public:
  // Adds `object` with `id` and returns true; or returns false with `*id` set to the id it
  // already has.
  bool Insert(const void* object, uint32_t* id) {
    if ((count_ + 1) * 2 > capacity_) {
      Grow();
    }
    Slot* slot = Find(object);
    if (slot->object != nullptr) {
      *id = slot->id;
      return false;
    }
    slot->object = object;
    slot->id = *id;
    ++count_;
    return true;
  }

 private:
  struct Slot {
    const void* object = nullptr;
    uint32_t id = 0;
  };

  Slot* Find(const void* object) const {
    // The low bits of an object's address vary little (allocations are aligned).
    auto bits = reinterpret_cast<uintptr_t>(object) >> 4;
    size_t index = static_cast<size_t>(bits * 0x9E3779B97F4A7C15ull) & (capacity_ - 1);
    while (slots_[index].object != nullptr && slots_[index].object != object) {
      index = (index + 1) & (capacity_ - 1);
    }
    return &slots_[index];
  }

  void Grow() {
    std::unique_ptr<Slot[]> old = std::move(slots_);
    const size_t old_capacity = capacity_;
    capacity_ = capacity_ == 0 ? 64 : capacity_ * 2;
    slots_ = std::make_unique<Slot[]>(capacity_);
    for (size_t i = 0; i < old_capacity; ++i) {
      if (old[i].object != nullptr) {
        *Find(old[i].object) = old[i];
      }
    }
  }

  std::unique_ptr<Slot[]> slots_;
  size_t capacity_ = 0;
  size_t count_ = 0;
};

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_CONVERT_OBJECT_IDS_H_
