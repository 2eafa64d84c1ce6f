#ifndef CODE_INTERPRETER_WORKER_LOCKDOWN_H_
#define CODE_INTERPRETER_WORKER_LOCKDOWN_H_

#include <string>

#include "core/channel/worker_messages.h"

namespace ci::worker {

// The fds the parent hands the channel on (core/process/worker_process.cc): the doorbell
// socket, and the shared rings (mapped, then closed, before the lockdown).
constexpr int kChannelFd = 3;
constexpr int kMemoryFd = 4;

// Closes every descriptor but `keep`.
void CloseAllBut(int keep);

// While the process has one thread: closes every descriptor but the channel, sets the limits
// (no core files, no file writes) and enters empty user, network and mount namespaces where
// the kernel lets it; records the namespaces entered. Returns an error text, empty on success.
std::string PrepareAlone(LockdownReport* report);

// After V8 started: no new privileges, then the system call filter on every thread. Returns
// an error text, empty on success.
std::string LockDown(LockdownReport* report);

}  // namespace ci::worker

#endif  // CODE_INTERPRETER_WORKER_LOCKDOWN_H_
