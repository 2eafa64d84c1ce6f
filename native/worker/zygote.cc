#include "worker/zygote.h"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

#include "core/engine/platform.h"
#include "worker/lockdown.h"

namespace ci::worker {
namespace {

// Reads one request: its passed descriptors (the channel's socket and its shared rings) into
// `fds`; false when the parent closed the channel. A request without both leaves -1s.
bool ReceiveChannel(int fds[2]) {
  char byte;
  iovec data{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))];
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  ssize_t got;
  do {
    got = recvmsg(kChannelFd, &message, MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    return false;
  }
  fds[0] = fds[1] = -1;
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  if (header == nullptr || header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) {
    return true;  // a request without a channel: answered with an error
  }
  const size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
  if (count == 2) {
    std::memcpy(fds, CMSG_DATA(header), 2 * sizeof(int));
  } else {
    for (size_t i = 0; i < count; ++i) {  // not a request: its descriptors go
      int fd;
      std::memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof fd);
      close(fd);
    }
  }
  return true;
}

// V8 marks the memory it reserves as not for children (MADV_DONTFORK), so a child would lose
// the read-only heap it was forked to share. Every mapping so marked is made inheritable; this
// runs before the first fork, when only V8's start has mapped anything.
bool LetChildrenInherit() {
  std::ifstream smaps("/proc/self/smaps");
  if (!smaps) {
    return false;
  }
  uintptr_t start = 0;
  uintptr_t end = 0;
  std::string line;
  while (std::getline(smaps, line)) {
    uintptr_t first;
    uintptr_t last;
    char permissions[5];
    unsigned long offset;
    if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR " %4s %lx ", &first, &last, permissions,
                    &offset) == 4) {
      start = first;  // a mapping's first line: its flags follow
      end = last;
      continue;
    }
    if (line.rfind("VmFlags:", 0) == 0 && (line + " ").find(" dc ") != std::string::npos &&
        madvise(reinterpret_cast<void*>(start), end - start, MADV_DOFORK) != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool RunZygote(int* exit_status) {
  CloseAllBut(kChannelFd);
  bool v8_started;
  try {
    v8_started = Platform::StartBeforeFork(1);  // one background thread per worker
    if (v8_started && !LetChildrenInherit()) {
      throw std::runtime_error("V8's memory cannot be inherited");
    }
  } catch (const std::runtime_error&) {
    *exit_status = 1;  // no safe fork: the parent starts its workers from the executable
    return false;
  }
  for (;;) {
    int fds[2];
    if (!ReceiveChannel(fds)) {
      *exit_status = 0;
      return false;
    }
    const int channel = fds[0];
    const int memory = fds[1];
    int32_t answer = -EINVAL;
    if (channel >= 0 && memory >= 0) {
      // fork(), as a child of our parent: one thread here, so nothing is held.
      const long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
      if (pid == 0) {
        // The new worker: its channel becomes fd 3, replacing the zygote's, and its rings fd
        // 4 (a channel received as 4 is copied before the rings take its number).
        if (dup2(channel, kChannelFd) < 0 || dup2(memory, kMemoryFd) < 0) {
          _exit(1);
        }
        if (channel != kMemoryFd) {
          close(channel);
        }
        if (memory != kMemoryFd) {
          close(memory);
        }
        if (v8_started && !Platform::AdoptAfterFork()) {
          _exit(4);
        }
        return true;
      }
      answer = pid > 0 ? static_cast<int32_t>(pid) : -errno;
    }
    for (int fd : fds) {
      if (fd >= 0) {
        close(fd);
      }
    }
    if (send(kChannelFd, &answer, sizeof answer, MSG_NOSIGNAL) != sizeof answer) {
      *exit_status = 1;
      return false;
    }
  }
}

}  // namespace ci::worker
