#ifndef CODE_INTERPRETER_CORE_ENGINE_THREAD_PARKING_H_
#define CODE_INTERPRETER_CORE_ENGINE_THREAD_PARKING_H_

#include <v8.h>

#include <cstddef>
#include <memory>

namespace ci {

struct ParkingLot;

/**
 * Keeps a calling thread's V8 state for one isolate archived between its executions.
 *
 * The first v8::Locker a thread holds on an isolate is V8's "top level" one: releasing it frees
 * the thread's handle blocks and stack-guard state, and the next call makes them again, a fifth
 * of a warm call's instructions. A thread that holds an outer Locker released by an Unlocker
 * has its state archived instead, and each call's Locker restores it; while no other thread
 * took the isolate meanwhile, nothing is even copied.
 *
 * Archived state is its thread's to free: a thread that exits restores and releases it. An
 * isolate disposed while another thread is parked on it leaks that thread's handle block (about
 * 8 KB), so such orphans are capped for the process; past the cap, no thread parks any more.
 * A thread parks only after some calls on an isolate, so short-lived sandboxes never do.
 *
 * Lock order: a lot's mutex, then the isolate's V8 lock, never the other way round.
 */
class ThreadParking {
 public:
  explicit ThreadParking(v8::Isolate* isolate);
  ~ThreadParking();
  ThreadParking(const ThreadParking&) = delete;
  ThreadParking& operator=(const ThreadParking&) = delete;

  // Before the calling thread locks the isolate for an execution, without V8's lock. True when
  // the thread's state is parked: once locked, call LimitStackFromHere().
  bool BeforeLock();
  // With the isolate locked by a parked thread: a parked state keeps the stack limit of the call
  // that parked it, so each call sets it again below its own frame, as a top-level lock does.
  static void LimitStackFromHere(v8::Isolate* isolate);
  // Before the isolate is disposed, without V8's lock: restores and frees the calling thread's
  // own parked state, and keeps threads that exit later away from the isolate.
  void Close();

  // Process-wide counts: states parked now, and parked states given up by disposed isolates.
  static size_t parked();
  static size_t orphans();

 private:
  std::shared_ptr<ParkingLot> lot_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_THREAD_PARKING_H_
