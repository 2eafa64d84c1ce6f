#include "core/process/worker_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "core/channel/shared_ring.h"

namespace ci {
namespace {

// The fds the worker finds its channel's doorbell and its shared rings on.
constexpr int kChannelFd = 3;
constexpr int kMemoryFd = 4;

std::string SignalDescription(int signal) {
  switch (signal) {
    case SIGSYS:
      return "SIGSYS (a blocked system call)";
    case SIGKILL:
      return "SIGKILL";
    case SIGABRT:
      return "SIGABRT (a fatal error in V8, such as running out of memory)";
    case SIGSEGV:
      return "SIGSEGV (a memory fault)";
    case SIGBUS:
      return "SIGBUS (a memory fault)";
    case SIGTRAP:
      return "SIGTRAP (a fatal error in V8)";
    case SIGILL:
      return "SIGILL (a fatal error in V8)";
    default: {
      const char* name = sigabbrev_np(signal);
      return name != nullptr ? std::string("SIG") + name : "signal " + std::to_string(signal);
    }
  }
}

class SpawnSettings {
 public:
  SpawnSettings() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attributes_);
  }
  ~SpawnSettings() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attributes_);
  }
  SpawnSettings(const SpawnSettings&) = delete;
  SpawnSettings& operator=(const SpawnSettings&) = delete;

  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attributes_;
};

}  // namespace

namespace {

// Starts `executable` (with `argument`, if any) holding `channel` as its fd 3 and `memory` (the
// channel's shared rings) as its fd 4, an empty environment, its own process group, no blocked
// signals and default dispositions (the caller may ignore SIGPIPE, for one). Returns its pid;
// throws std::runtime_error.
pid_t SpawnExecutable(const std::string& executable,
                      int channel,
                      int memory,
                      const char* argument) {
  // Both out of the way of 3 and 4 first: a dup2 onto another's number would lose it, and
  // onto itself would leave close-on-exec set.
  const int channel_copy = fcntl(channel, F_DUPFD_CLOEXEC, 10);
  const int memory_copy = memory < 0 ? -1 : fcntl(memory, F_DUPFD_CLOEXEC, 10);
  SpawnSettings settings;
  posix_spawn_file_actions_adddup2(&settings.actions_, channel_copy, kChannelFd);
  if (memory_copy >= 0) {
    posix_spawn_file_actions_adddup2(&settings.actions_, memory_copy, kMemoryFd);
  }
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&settings.attributes_, &none);
  posix_spawnattr_setsigdefault(&settings.attributes_, &all);
  posix_spawnattr_setpgroup(&settings.attributes_, 0);
  posix_spawnattr_setflags(&settings.attributes_,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  char* argv[] = {const_cast<char*>(executable.c_str()), const_cast<char*>(argument), nullptr};
  char* envp[] = {nullptr};
  pid_t pid = 0;
  const int failed = channel_copy < 0 || (memory >= 0 && memory_copy < 0)
                         ? errno
                         : posix_spawn(&pid, executable.c_str(), &settings.actions_,
                                       &settings.attributes_, argv, envp);
  for (int copy : {channel_copy, memory_copy}) {
    if (copy >= 0) {
      close(copy);
    }
  }
  if (failed != 0) {
    throw std::runtime_error("cannot start the worker " + executable + ": " + strerror(failed));
  }
  return pid;
}

/**
 * The zygote of this process's workers (worker/zygote.h): one process that loaded V8's library
 * once and forks each worker in a millisecond, the library's relocated pages shared. Without
 * one (it could not start, or died), workers are started from the executable itself.
 */
class Zygote {
 public:
  // Leaked: workers may be started while the process exits.
  static Zygote& Instance() {
    static Zygote* zygote = new Zygote();
    return *zygote;
  }

  // A new worker of `executable` holding `channel` as its fd 3 and `memory` as its fd 4, or 0
  // when none was made.
  pid_t Fork(const std::string& executable, int channel, int memory) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (owner_ != getpid()) {  // a forked child: the parent's zygote is not ours to use
      control_ = -1;
      pid_ = 0;
      owner_ = getpid();
    }
    if (control_ < 0 || executable != executable_) {
      Restart(executable);
    }
    if (control_ < 0) {
      return 0;
    }
    char byte = 0;
    iovec data{&byte, 1};
    const int passed[2] = {channel, memory};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof passed)] = {};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof passed);
    std::memcpy(CMSG_DATA(header), passed, sizeof passed);
    int32_t answer = 0;
    pollfd ready{control_, POLLIN, 0};
    if (sendmsg(control_, &message, MSG_NOSIGNAL) != 1 || poll(&ready, 1, 5000) != 1 ||
        recv(control_, &answer, sizeof answer, 0) != sizeof answer || answer <= 0) {
      Stop();
      return 0;
    }
    return answer;
  }

 private:
  void Restart(const std::string& executable) {
    Stop();
    executable_ = executable;
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
      return;
    }
    try {
      pid_ = SpawnExecutable(executable, ends[1], -1, "--zygote");
      control_ = ends[0];
    } catch (const std::runtime_error&) {
      close(ends[0]);
    }
    close(ends[1]);
  }

  void Stop() {
    if (control_ >= 0) {
      close(control_);
      control_ = -1;
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
      pid_ = 0;
    }
  }

  std::mutex mutex_;
  pid_t owner_ = getpid();
  std::string executable_;
  int control_ = -1;
  pid_t pid_ = 0;
};

}  // namespace

std::unique_ptr<WorkerProcess> WorkerProcess::Spawn(const std::string& executable) {
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    throw std::runtime_error(std::string("cannot make a worker channel: ") + strerror(errno));
  }
  int memory = -1;
  pid_t pid = 0;
  try {
    SharedRegion region = SharedRegion::Create(&memory);
    pid = Zygote::Instance().Fork(executable, ends[1], memory);
    if (pid == 0) {
      pid = SpawnExecutable(executable, ends[1], memory, nullptr);
    }
    close(memory);
    close(ends[1]);
    return std::unique_ptr<WorkerProcess>(new WorkerProcess(pid, ends[0], std::move(region)));
  } catch (const std::runtime_error&) {
    if (memory >= 0) {
      close(memory);
    }
    close(ends[0]);
    close(ends[1]);
    throw;
  }
}

namespace {

/**
 * One worker started ahead of time, with V8 loaded and started, waiting for the setup of the
 * next sandbox that needs a worker: starting one (mostly the dynamic linking of V8's library)
 * is then off that sandbox's path. Taking it starts the next one on a thread of its own.
 * After a fork, the child leaves its parent's worker alone (it is not the child's to reap).
 */
class Standby {
 public:
  // Leaked: a thread starting the next worker may outlive every other object at exit.
  static Standby& Instance() {
    static Standby* standby = new Standby();
    return *standby;
  }

  // The worker started ahead for `executable`, or null; starts the next one.
  std::unique_ptr<WorkerProcess> Take(const std::string& executable) {
    std::unique_ptr<WorkerProcess> taken;
    std::lock_guard<std::mutex> lock(mutex_);
    ForgetAfterFork();
    if (ready_ && executable_ == executable) {
      taken = std::move(ready_);
    }
    executable_ = executable;
    if (!starting_) {
      starting_ = true;
      std::thread([this, executable] { StartNext(executable); }).detach();
    }
    return taken;
  }

 private:
  void StartNext(const std::string& executable) {
    std::unique_ptr<WorkerProcess> started;
    try {
      started = WorkerProcess::Spawn(executable);
    } catch (const std::runtime_error&) {
      // The next Launch spawns one itself and reports why it cannot.
    }
    std::unique_ptr<WorkerProcess> unwanted;
    std::lock_guard<std::mutex> lock(mutex_);
    starting_ = false;
    if (owner_ != getpid()) {
      started.release();  // forked meanwhile: the parent's child
      return;
    }
    unwanted = std::move(ready_);  // another executable's, if any (reaped once unlocked)
    if (executable_ == executable) {
      ready_ = std::move(started);
    } else {
      unwanted = std::move(started);  // asked for another meanwhile: start that one
      starting_ = true;
      std::thread([this, next = executable_] { StartNext(next); }).detach();
    }
  }

  void ForgetAfterFork() {
    if (owner_ != getpid()) {
      ready_.release();
      starting_ = false;
      owner_ = getpid();
    }
  }

  std::mutex mutex_;
  pid_t owner_ = getpid();
  std::string executable_;
  std::unique_ptr<WorkerProcess> ready_;
  bool starting_ = false;
};

}  // namespace

std::unique_ptr<WorkerProcess> WorkerProcess::Launch(const std::string& executable,
                                                     const std::string& setup) {
  std::unique_ptr<WorkerProcess> worker = Standby::Instance().Take(executable);
  if (worker && !worker->Send(setup)) {
    worker.reset();  // it died while it waited: start one here
  }
  if (!worker) {
    worker = Spawn(executable);
    if (!worker->Send(setup)) {
      throw std::runtime_error(worker->Reap(true) + " before it was set up");
    }
  }
  return worker;
}

void WorkerProcess::AwaitReady(double timeout_ms) {
  MessageType type;
  std::string payload;
  try {
    switch (channel_.Receive(Clock::now() + FromMs(timeout_ms), &type, &payload)) {
      case Received::kTimedOut:
        throw std::runtime_error(Reap(true) + ": it did not start in time");
      case Received::kClosed:
        throw std::runtime_error(Reap(false) + " while it started");
      case Received::kMessage:
        break;
    }
    MessageReader reader(payload);
    if (type == MessageType::kFailure) {
      const std::string reason = DecodeFailure(reader);
      Reap(true);
      throw std::runtime_error("the worker could not start: " + reason);
    }
    if (type != MessageType::kReady) {
      throw ChannelError("its first message is not its lockdown report");
    }
    lockdown_ = DecodeReady(reader);
  } catch (const ChannelError& error) {
    throw std::runtime_error(Reap(true) + ": " + error.what());
  }
}

WorkerProcess::~WorkerProcess() {
  Reap(true);
  close(channel_.doorbell());
}

void WorkerProcess::Stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!reaped_) {
    kill(pid_, SIGKILL);
  }
}

void WorkerProcess::Signal(int signal, int value) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!reaped_) {
    sigqueue(pid_, signal, sigval{value});
  }
}

std::string WorkerProcess::Reap(bool stop) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (reaped_) {
    return ending_;
  }
  int status = 0;
  pid_t waited = 0;
  if (!stop) {
    // A worker that closed its channel but goes on running gets a second to end by itself.
    const auto give_up = Clock::now() + std::chrono::seconds(1);
    while ((waited = waitpid(pid_, &status, WNOHANG)) == 0 && Clock::now() < give_up) {
      usleep(1000);
    }
    stop = waited == 0;
  }
  if (stop) {
    kill(pid_, SIGKILL);
    do {
      waited = waitpid(pid_, &status, 0);
    } while (waited < 0 && errno == EINTR);
  }
  reaped_ = true;
  const std::string who = "worker " + std::to_string(pid_);
  if (waited < 0) {
    ending_ = who + " ended (its status was collected elsewhere)";
  } else if (WIFSIGNALED(status)) {
    ending_ = who + " was killed by " + SignalDescription(WTERMSIG(status));
  } else {
    ending_ = who + " exited with status " + std::to_string(WEXITSTATUS(status));
  }
  return ending_;
}

}  // namespace ci
