// The worker process of process isolation (core/process/worker_pool.h): one isolate, driven
// over the channel its parent handed it as fd 3. It locks itself down before any JavaScript
// runs (lockdown.h), then runs one execution per request until the channel closes.
//
//   code-interpreter-worker                          one worker, as the parent starts it
//   code-interpreter-worker --zygote                 forks workers on request (zygote.h)
//   code-interpreter-worker --after-lockdown CALL    for the tests, once locked down: makes the
//                                                    system call CALL (socket, execve: killed;
//                                                    open: fails, else the worker gives up), or
//                                                    with "garbage" answers with a bad message,
//                                                    with "lie" claims in the shared memory to
//                                                    have written more than its ring holds

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <v8.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/channel/channel_end.h"
#include "core/channel/worker_messages.h"
#include "core/engine/cancel_token.h"
#include "core/engine/platform.h"
#include "core/pool/isolate_pool.h"
#include "worker/lockdown.h"
#include "worker/worker_channel.h"
#include "worker/zygote.h"

namespace ci::worker {
namespace {

constexpr int kCancelSignal = SIGUSR1;

/** The execution a cancellation signal may name: its number and token, while it runs. */
class Cancellation {
 public:
  void Begin(uint32_t number, CancelToken* token) {
    std::lock_guard<std::mutex> lock(mutex_);
    number_ = number;
    token_ = token;
  }
  void End() {
    std::lock_guard<std::mutex> lock(mutex_);
    token_ = nullptr;
  }
  void Cancel(uint32_t number) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (token_ != nullptr && number == number_) {
      token_->Cancel();
    }
  }

 private:
  std::mutex mutex_;
  uint32_t number_ = 0;
  CancelToken* token_ = nullptr;
};

// The signal is blocked in every thread (set before any was made), so only this wait takes it.
void AwaitCancellations(Cancellation* cancellation) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, kCancelSignal);
  for (;;) {
    siginfo_t info;
    if (sigwaitinfo(&signals, &info) == kCancelSignal) {
      cancellation->Cancel(static_cast<uint32_t>(info.si_value.sival_int));
    }
  }
}

// The channel to the parent, once its rings are mapped.
ChannelEnd* channel_end = nullptr;

[[noreturn]] void Fail(const std::string& reason) {
  if (channel_end != nullptr) {
    channel_end->Send(EncodeFailure(reason));
  }
  _exit(1);
}

// The tests' hook "lie": a second view of the rings, to write what no honest worker would.
SharedRegion* lying_view = nullptr;

// Maps the rings the parent shares; without them there is no way to say why: the parent sees
// the exit status.
ChannelEnd* OpenChannel(bool lies) {
  try {
    SharedRegion region = SharedRegion::Map(kMemoryFd);
    if (lies) {
      lying_view = new SharedRegion(SharedRegion::Map(kMemoryFd));
    }
    close(kMemoryFd);
    return new ChannelEnd(std::move(region), kChannelFd, ChannelSide::kWorker);
  } catch (const std::runtime_error&) {
    _exit(3);
  }
}

// The tests' hook: a call the filter must stop (the process is killed by SIGSYS, or open fails).
void CallForbidden(const std::string& call) {
  if (call == "open") {
    if (open("/etc/hostname", O_RDONLY) >= 0 || errno != EPERM) {
      Fail("open was not refused");
    }
  } else if (call == "socket") {
    socket(AF_INET, SOCK_STREAM, 0);
  } else if (call == "execve") {
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    execve("/bin/true", argv, nullptr);
  }
}

int Serve(const char* hook) {
  sigset_t cancel;
  sigemptyset(&cancel);
  sigaddset(&cancel, kCancelSignal);
  pthread_sigmask(SIG_BLOCK, &cancel, nullptr);

  const bool lies = hook != nullptr && std::strcmp(hook, "lie") == 0;
  channel_end = OpenChannel(lies);  // lives as long as the process
  LockdownReport report;
  std::string failure = PrepareAlone(&report);
  if (!failure.empty()) {
    Fail(failure);
  }
  // V8 starts before the setup comes: a worker started ahead of time (core/process/
  // worker_process.cc) is then ready for any sandbox. One background thread per worker, so N
  // workers on N cores do not oversubscribe them. A worker forked by the zygote finds V8
  // started there (zygote.h).
  Platform::SetBackgroundThreads(1);
  Platform::EnsureInitialized();
  MessageType type;
  std::string payload;
  if (channel_end->Receive(Clock::time_point::max(), &type, &payload) != Received::kMessage ||
      type != MessageType::kSetup) {
    return 1;  // the parent is gone before it needed this worker
  }
  PoolConfig config;
  bool keep_isolate = true;
  std::vector<std::string> host_names;
  {
    MessageReader reader(payload);
    config.isolate = DecodeSetup(reader, &host_names, &keep_isolate);
  }
  WorkerChannel channel(channel_end);
  if (!host_names.empty()) {
    config.isolate.profile.host =
        std::make_shared<ChannelHostFunctions>(std::move(host_names), &channel);
  }
  config.max_isolates = 1;
  config.keep_idle = keep_isolate ? 1 : 0;
  IsolatePool pool(config);
  pool.Prewarm(1);  // whatever V8 reads once per process is read before the lockdown
  Cancellation cancellation;
  std::thread(AwaitCancellations, &cancellation).detach();

  failure = LockDown(&report);
  if (!failure.empty()) {
    Fail(failure);
  }
  if (hook != nullptr) {
    CallForbidden(hook);
  }
  const bool answer_garbage = hook != nullptr && std::strcmp(hook, "garbage") == 0;
  if (!channel.Send(EncodeReady(report))) {
    _exit(0);
  }
  if (config.isolate.profile.host != nullptr) {
    channel.StartReading();
  }
  uint32_t executions = 0;
  for (;;) {
    payload = channel.NextExecution();
    if (lying_view != nullptr) {
      auto* ring = reinterpret_cast<RingControl*>(lying_view->outgoing(ChannelSide::kWorker));
      ring->written.fetch_add(kRingBytes + 1);
      const char bell = 0;
      send(kChannelFd, &bell, 1, MSG_NOSIGNAL);  // a parent asleep on its doorbell wakes
      continue;
    }
    if (answer_garbage) {
      const std::string garbage("\x09\x00\x00\x00\x04\xff\xff\xff\xff\x07\x07\x07\x07", 13);
      channel.Send(garbage);
      continue;
    }
    ReceivedRequest request;
    {
      MessageReader reader(payload);
      DecodeRequest(reader, &request);
    }
    // Counted as the parent counts them: a cancellation names the execution by this number.
    const uint32_t number = ++executions & 0x7fffffff;
    CancelToken token;
    request.request.token = &token;
    cancellation.Begin(number, &token);
    Outcome outcome;
    pool.Execute(request.request, &outcome);
    cancellation.End();
    if (!channel.Send(EncodeOutcome(outcome, pool.stats()))) {
      _exit(0);
    }
  }
}

}  // namespace
}  // namespace ci::worker

int main(int argc, char** argv) {
  bool zygote = false;
  const char* hook = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--zygote") == 0) {
      zygote = true;
    } else if (std::strcmp(argv[i], "--after-lockdown") == 0 && i + 1 < argc) {
      hook = argv[++i];
    } else {
      return 2;
    }
  }
  int exit_status = 0;
  if (zygote && !ci::worker::RunZygote(&exit_status)) {
    return exit_status;  // the parent is gone
  }
  try {
    return ci::worker::Serve(hook);
  } catch (const std::exception& error) {
    ci::worker::Fail(error.what());
  }
}
