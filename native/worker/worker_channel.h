#ifndef CODE_INTERPRETER_WORKER_WORKER_CHANNEL_H_
#define CODE_INTERPRETER_WORKER_WORKER_CHANNEL_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/channel/channel_end.h"
#include "core/channel/worker_messages.h"
#include "core/host/host_functions.h"

namespace ci::worker {

/**
 * The worker's end of its channel, once set up: one thread reads every message and hands it on
 * (executions to the main thread, a host call's reply to the call waiting for it, a pending
 * call's later reply to the isolate's completions); writes take turns under one lock. When the
 * parent closes the channel the sandbox is gone, and so is the worker.
 */
class WorkerChannel final {
 public:
  explicit WorkerChannel(ChannelEnd* end) : end_(end) {}
  WorkerChannel(const WorkerChannel&) = delete;
  WorkerChannel& operator=(const WorkerChannel&) = delete;

  // Starts the reading thread; without it (a sandbox without host functions, where nothing
  // comes during an execution) the main thread reads each execution itself, one thread hop
  // less per execution.
  void StartReading();
  // False when the parent is gone.
  bool Send(const std::string& message);
  // The main thread: the next execution's payload.
  std::string NextExecution();
  // The isolate's thread: sends the call and waits for its reply; a later reply of a call
  // answered kPending goes to `completions`.
  HostReply CallHost(const ChannelHostCall& call,
                     const std::shared_ptr<HostCompletionSink>& completions);

 private:
  void Read();

  ChannelEnd* const end_;        // one reader at a time: the main thread or Read()
  bool reading_thread_ = false;  // set before any other thread uses the channel
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<std::string> executions_;      // under mutex_
  uint64_t awaited_call_ = 0;               // under mutex_: 0 when no call waits
  bool reply_ready_ = false;                // under mutex_
  HostReply reply_;                         // under mutex_
  std::weak_ptr<HostCompletionSink> sink_;  // under mutex_: the latest call's completions
};

/** The sandbox's host functions, as the worker sees them: each call goes to the parent. */
class ChannelHostFunctions final : public HostFunctions {
 public:
  ChannelHostFunctions(std::vector<std::string> names, WorkerChannel* channel)
      : names_(std::move(names)), channel_(channel) {}
  const std::vector<std::string>& names() const override { return names_; }
  HostReply Call(const HostCall& call, size_t index, const HostArguments& arguments) override;
  // The parent stops its own calls (at the deadline, on cancel and kill): nothing to ask.
  void Interrupt(const void* caller) override {}

 private:
  const std::vector<std::string> names_;
  WorkerChannel* const channel_;
};

}  // namespace ci::worker

#endif  // CODE_INTERPRETER_WORKER_WORKER_CHANNEL_H_
