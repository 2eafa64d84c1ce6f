#include "core/engine/thread_parking.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "core/engine/platform.h"

namespace ci {

/** What the threads parked on one isolate share with the isolate's owner. */
struct ParkingLot {
  explicit ParkingLot(v8::Isolate* isolate) : isolate(isolate) {}

  v8::Isolate* const isolate;
  std::mutex mutex;
  // Set under `mutex` (the isolate is about to go, or gone); read without it to prune spots.
  std::atomic<bool> closed{false};
  uint32_t parked = 0;  // under `mutex`
};

namespace {

// A thread parks on an isolate after this many calls on it: a sandbox used for a few calls
// and closed by another thread (an idle reaper, a finalizer) then orphans nothing.
constexpr uint32_t kCallsBeforeParking = 16;
// Each parked thread keeps about 8 KB of V8 state alive in the isolate.
constexpr uint32_t kMaxParkedPerIsolate = 8;
// Orphans leak: past this many (about half a megabyte), parking stops for the process.
constexpr size_t kMaxOrphans = 64;

std::atomic<bool> g_parking_allowed{true};
std::atomic<size_t> g_orphans{0};
std::atomic<size_t> g_parked{0};

bool OnMainThread() {
  return static_cast<pid_t>(syscall(SYS_gettid)) == getpid();
}

/** One thread's standing with one isolate: its calls so far, and its parked state if any. */
struct Spot {
  explicit Spot(std::shared_ptr<ParkingLot> lot) : lot(std::move(lot)) {}

  // The lock objects live in raw storage: once their isolate is gone they must never run their
  // destructors, and the storage is simply dropped.
  void Park() {
    new (outer) v8::Locker(lot->isolate);
    new (released) v8::Unlocker(lot->isolate);
    parked = true;
    g_parked.fetch_add(1, std::memory_order_relaxed);
  }

  // With the lot's mutex held and the isolate alive: takes V8's lock back, which restores the
  // thread's state, and releases it as the top-level holder, which frees it.
  void Unpark() {
    std::launder(reinterpret_cast<v8::Unlocker*>(released))->~Unlocker();
    std::launder(reinterpret_cast<v8::Locker*>(outer))->~Locker();
    parked = false;
    lot->parked--;
    g_parked.fetch_sub(1, std::memory_order_relaxed);
  }

  std::shared_ptr<ParkingLot> lot;
  uint32_t calls = 0;
  bool parked = false;
  alignas(v8::Locker) unsigned char outer[sizeof(v8::Locker)];
  alignas(v8::Unlocker) unsigned char released[sizeof(v8::Unlocker)];
};

// Set once the thread's spots are destroyed (the main thread's, at exit): an isolate disposed
// later on this thread has nothing of it parked, and must not touch them.
thread_local bool t_spots_gone = false;

/** The calling thread's spots; a thread that exits unparks from every isolate still alive. */
class ThreadSpots {
 public:
  ThreadSpots() = default;
  ThreadSpots(const ThreadSpots&) = delete;
  ThreadSpots& operator=(const ThreadSpots&) = delete;

  ~ThreadSpots() {
    // The main thread ends with the process, and V8 with it; unparking there could wait on a
    // lock another thread holds for as long as its script runs.
    t_spots_gone = true;
    if (OnMainThread()) {
      return;
    }
    for (const auto& spot : spots_) {
      if (!spot->parked) {
        continue;
      }
      std::lock_guard<std::mutex> lock(spot->lot->mutex);
      if (!spot->lot->closed) {
        spot->Unpark();
      }
    }
  }

  Spot* Find(const ParkingLot* lot) {
    for (const auto& spot : spots_) {
      if (spot->lot.get() == lot) {
        return spot.get();
      }
    }
    return nullptr;
  }

  Spot* FindOrAdd(const std::shared_ptr<ParkingLot>& lot) {
    if (Spot* found = Find(lot.get())) {
      return found;
    }
    // Spots of isolates since disposed are dropped here (their parked state went with the
    // isolate, or was counted as an orphan).
    spots_.erase(std::remove_if(spots_.begin(), spots_.end(),
                                [](const auto& spot) {
                                  return spot->lot->closed.load(std::memory_order_acquire);
                                }),
                 spots_.end());
    spots_.push_back(std::make_unique<Spot>(lot));
    return spots_.back().get();
  }

 private:
  std::vector<std::unique_ptr<Spot>> spots_;
};

thread_local ThreadSpots t_spots;

}  // namespace

ThreadParking::ThreadParking(v8::Isolate* isolate) : lot_(std::make_shared<ParkingLot>(isolate)) {}

ThreadParking::~ThreadParking() {
  Close();
}

bool ThreadParking::BeforeLock() {
  if (!g_parking_allowed.load(std::memory_order_relaxed) || t_spots_gone) {
    return false;
  }
  Spot* spot = t_spots.FindOrAdd(lot_);
  if (spot->parked) {
    return true;
  }
  if (++spot->calls < kCallsBeforeParking) {
    return false;
  }
  spot->calls = 0;  // if refused below, asked again after as many calls
  {
    std::lock_guard<std::mutex> lock(lot_->mutex);
    if (lot_->closed || lot_->parked >= kMaxParkedPerIsolate) {
      return false;
    }
    lot_->parked++;
  }
  // The caller holds this isolate from its pool: no one disposes of it meanwhile.
  spot->Park();
  return true;
}

void ThreadParking::LimitStackFromHere(v8::Isolate* isolate) {
  const auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  isolate->SetStackLimit(here - uintptr_t{Platform::kJsStackKb} * 1024);
}

void ThreadParking::Close() {
  std::lock_guard<std::mutex> lock(lot_->mutex);
  if (lot_->closed) {
    return;
  }
  Spot* own = t_spots_gone ? nullptr : t_spots.Find(lot_.get());
  if (own != nullptr && own->parked) {
    own->Unpark();
  }
  if (lot_->parked > 0) {
    const size_t orphans = g_orphans.fetch_add(lot_->parked, std::memory_order_relaxed);
    g_parked.fetch_sub(lot_->parked, std::memory_order_relaxed);
    if (orphans + lot_->parked >= kMaxOrphans) {
      g_parking_allowed.store(false, std::memory_order_relaxed);
    }
  }
  lot_->closed.store(true, std::memory_order_release);
}

size_t ThreadParking::orphans() {
  return g_orphans.load(std::memory_order_relaxed);
}

size_t ThreadParking::parked() {
  return g_parked.load(std::memory_order_relaxed);
}

}  // namespace ci
