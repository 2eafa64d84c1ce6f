#ifndef CODE_INTERPRETER_CORE_PROCESS_WORKER_PROCESS_H_
#define CODE_INTERPRETER_CORE_PROCESS_WORKER_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/channel/channel_end.h"
#include "core/channel/worker_messages.h"

namespace ci {

/**
 * The parent's handle on one worker process: started from the worker executable with an empty
 * environment, its own process group, default signal dispositions and nothing inherited but
 * its channel (the shared rings as its fd 4, their doorbell socket as its fd 3). Stop() and
 * Signal() may come from any thread; Reap() and the channel belong to the thread that uses the
 * worker. A process is signalled only until it is reaped, so its pid can never name another
 * process.
 */
class WorkerProcess final {
 public:
  // Takes the worker started ahead of time (or starts one) and sends it `setup`
  // (EncodeSetup). Throws std::runtime_error saying why the worker could not start.
  static std::unique_ptr<WorkerProcess> Launch(const std::string& executable,
                                               const std::string& setup);
  // Starts a worker that waits for its setup. Throws std::runtime_error.
  static std::unique_ptr<WorkerProcess> Spawn(const std::string& executable);
  // Waits until `timeout_ms` for its lockdown report. Throws std::runtime_error saying why the
  // worker could not start (after reaping it).
  void AwaitReady(double timeout_ms);
  ~WorkerProcess();  // stops and reaps it if it is still there
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The channel to it; writers from several threads take turns, one reader at a time.
  ChannelEnd& channel() { return channel_; }
  // Writes a whole message. False when it is gone.
  bool Send(const std::string& message) { return channel_.Send(message); }
  const LockdownReport& lockdown() const { return lockdown_; }

  // SIGKILL. Any thread; nothing once reaped.
  void Stop();
  // Queues `signal` with `value` (the worker's cancellation). Any thread; nothing once reaped.
  void Signal(int signal, int value);
  // Waits for the process to end (stopping it first when `stop`) and says how it ended:
  // "worker 1234 was killed by SIGSYS (a blocked system call)".
  std::string Reap(bool stop);

 private:
  WorkerProcess(pid_t pid, int doorbell, SharedRegion region)
      : pid_(pid), channel_(std::move(region), doorbell, ChannelSide::kParent) {
    channel_.set_spin_gate(&SpinGate::ForThisProcess());
  }

  const pid_t pid_;
  ChannelEnd channel_;
  LockdownReport lockdown_;
  std::mutex mutex_;  // orders signals before the reaping
  bool reaped_ = false;
  std::string ending_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_PROCESS_WORKER_PROCESS_H_
