#include "worker/zygote.h"

#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "worker/lockdown.h"

namespace ci::worker {
namespace {

// Reads one request: its passed descriptor, or -1 when the parent closed the channel.
int ReceiveChannel() {
  char byte;
  iovec data{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
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
    return -1;
  }
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  if (header == nullptr || header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) {
    return -2;  // a request without a channel: answered with an error
  }
  int fd;
  std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
  return fd;
}

}  // namespace

bool RunZygote(int* exit_status) {
  CloseAllBut(kChannelFd);
  for (;;) {
    const int channel = ReceiveChannel();
    if (channel == -1) {
      *exit_status = 0;
      return false;
    }
    int32_t answer = -EINVAL;
    if (channel >= 0) {
      // fork(), as a child of our parent: one thread here, so nothing is held.
      const long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
      if (pid == 0) {
        // The new worker: its channel becomes fd 3, replacing the zygote's.
        if (dup2(channel, kChannelFd) < 0) {
          _exit(1);
        }
        close(channel);
        return true;
      }
      answer = pid > 0 ? static_cast<int32_t>(pid) : -errno;
      close(channel);
    }
    if (send(kChannelFd, &answer, sizeof answer, MSG_NOSIGNAL) != sizeof answer) {
      *exit_status = 1;
      return false;
    }
  }
}

}  // namespace ci::worker
