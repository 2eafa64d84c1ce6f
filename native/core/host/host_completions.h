#ifndef CODE_INTERPRETER_CORE_HOST_HOST_COMPLETIONS_H_
#define CODE_INTERPRETER_CORE_HOST_HOST_COMPLETIONS_H_

#include <v8.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/engine/clock.h"
#include "core/host/host_functions.h"

namespace ci {

class HostBridge;

/**
 * The promises script holds for host calls still running (HostReply::kPending), for one
 * isolate. The host posts each call's reply from any thread; the isolate's thread, waiting
 * for the execution's result to settle, settles the promises in its context. Replies for an
 * execution that has ended are dropped.
 */
class HostCompletions final : public HostCompletionSink {
 public:
  using Clock = ci::Clock;

  // Isolate thread.
  uint64_t NextCallId() { return ++last_call_id_; }
  void BeginExecution();
  void EndExecution();  // with the isolate locked: forgets every promise
  // The promise of call `call_id` of the host function `name`, to settle when its reply comes;
  // its arguments took `argument_bytes` in the host.
  void Await(uint64_t call_id,
             v8::Isolate* isolate,
             v8::Local<v8::Promise::Resolver> resolver,
             const std::string& name,
             size_t argument_bytes);
  bool pending() const { return !resolvers_.empty(); }
  // Calls awaited and not yet settled in script, and the bytes of their arguments.
  size_t pending_count() const { return resolvers_.size(); }
  size_t pending_bytes() const { return pending_bytes_; }
  // Settles, through `bridge`, the promises whose replies arrived; how many. Use with the
  // context entered.
  size_t SettleArrived(v8::Local<v8::Context> context, HostBridge& bridge);
  // Waits until a reply arrives or `until`.
  void WaitUntil(Clock::time_point until);
  bool arrived();

  // Any thread.
  void Post(uint64_t call_id, HostReply reply) override;

 private:
  struct Awaited {
    v8::Global<v8::Promise::Resolver> resolver;
    std::string name;
    size_t argument_bytes = 0;
  };
  std::unordered_map<uint64_t, Awaited> resolvers_;
  size_t pending_bytes_ = 0;
  uint64_t last_call_id_ = 0;

  std::mutex mutex_;
  std::condition_variable posted_;
  std::deque<std::pair<uint64_t, HostReply>> replies_;  // under mutex_
  uint64_t first_call_id_ = 0;                          // under mutex_: of this execution
  bool running_ = false;                                // under mutex_
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_HOST_HOST_COMPLETIONS_H_
