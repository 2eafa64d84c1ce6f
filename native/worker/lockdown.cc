#include "worker/lockdown.h"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "worker/syscall_filter.h"

namespace ci::worker {
namespace {

std::string Failed(const char* what) {
  return std::string(what) + ": " + strerror(errno);
}

}  // namespace

// close_range where the kernel has it (5.9); otherwise one close per possible descriptor.
void CloseAllBut(int keep) {
  if (syscall(SYS_close_range, 0, keep - 1, 0) == 0 &&
      syscall(SYS_close_range, keep + 1, ~0U, 0) == 0) {
    return;
  }
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  const long last = files.rlim_cur == RLIM_INFINITY ? 65536 : static_cast<long>(files.rlim_cur);
  for (long fd = 0; fd < last; ++fd) {
    if (fd != keep) {
      close(static_cast<int>(fd));
    }
  }
}

std::string PrepareAlone(LockdownReport* report) {
  report->pid = getpid();
  CloseAllBut(kChannelFd);
  const rlimit none{0, 0};
  if (setrlimit(RLIMIT_CORE, &none) != 0) {
    return Failed("setrlimit(RLIMIT_CORE)");
  }
  if (setrlimit(RLIMIT_FSIZE, &none) != 0) {
    return Failed("setrlimit(RLIMIT_FSIZE)");
  }
  // An unprivileged process needs a user namespace to get the others; a privileged one may be
  // refused that (nested too deep, or disabled) and still get the others.
  if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS) == 0) {
    report->namespaces = {"user", "network", "mount"};
  } else if (unshare(CLONE_NEWNET | CLONE_NEWNS) == 0) {
    report->namespaces = {"network", "mount"};
  } else if (unshare(CLONE_NEWNET) == 0) {
    report->namespaces = {"network"};
  }
  return {};
}

std::string LockDown(LockdownReport* report) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Failed("prctl(PR_SET_NO_NEW_PRIVS)");
  }
  report->no_new_privs = true;
  if (!InstallSyscallFilter(kChannelFd)) {
    return Failed("seccomp");
  }
  report->seccomp = true;
  return {};
}

}  // namespace ci::worker
