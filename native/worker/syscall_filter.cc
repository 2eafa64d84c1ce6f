#include "worker/syscall_filter.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

namespace ci::worker {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kArch = AUDIT_ARCH_AARCH64;
#else
#error "the worker's system call filter knows x86_64 and aarch64"
#endif

constexpr uint32_t kKill = SECCOMP_RET_KILL_PROCESS;
constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
constexpr uint32_t Errno(int code) {
  return SECCOMP_RET_ERRNO | static_cast<uint32_t>(code);
}

constexpr uint32_t kNr = offsetof(seccomp_data, nr);
constexpr uint32_t kArchField = offsetof(seccomp_data, arch);
// The low 32 bits of an argument (little-endian on both architectures).
constexpr uint32_t ArgLow(int index) {
  return offsetof(seccomp_data, args) + 8 * index;
}

// System calls allowed whatever their arguments.
constexpr long kAllowed[] = {
    // memory
    SYS_mmap,
    SYS_munmap,
    SYS_mprotect,
    SYS_mremap,
    SYS_madvise,
    SYS_brk,
    // threads and waiting
    SYS_futex,
    SYS_set_robust_list,
    SYS_sched_yield,
    SYS_sched_getaffinity,
    // V8 13's worker threads read their scheduling policy (read-only).
    SYS_sched_getparam,
    SYS_sched_getscheduler,
    SYS_nanosleep,
    SYS_clock_nanosleep,
    SYS_exit,
    SYS_exit_group,
    SYS_gettid,
    SYS_getpid,
    SYS_membarrier,
#ifdef SYS_rseq
    SYS_rseq,
#endif
    // clocks (the vDSO answers most reads without a system call)
    SYS_clock_gettime,
    SYS_clock_getres,
    SYS_gettimeofday,
    SYS_getrusage,
    // signals: V8's own handlers and the cancellation thread's wait
    SYS_rt_sigaction,
    SYS_rt_sigprocmask,
    SYS_rt_sigreturn,
    SYS_rt_sigtimedwait,
    SYS_sigaltstack,
    SYS_restart_syscall,
    // randomness for V8's seeds, and the end of its channel
    SYS_getrandom,
    SYS_close,
};

// What the C library and ICU try now and then (the local time zone, ICU's time zone data,
// /proc/self/maps for the main thread's stack, the kernel's overcommit setting): refused as a
// missing permission, which each of them survives, instead of killing the worker.
constexpr long kRefusedWithEperm[] = {
    SYS_openat,     SYS_newfstatat, SYS_readlinkat, SYS_faccessat,
#ifdef SYS_open
    SYS_open,       SYS_stat,       SYS_lstat,      SYS_readlink,  SYS_access,
#endif
#ifdef SYS_statx
    SYS_statx,
#endif
#ifdef SYS_faccessat2
    SYS_faccessat2,
#endif
};

class Program {
 public:
  void Load(uint32_t offset) { code_.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset)); }
  void Return(uint32_t action) { code_.push_back(BPF_STMT(BPF_RET | BPF_K, action)); }
  // if A == value: the next instruction, else skip `skip` instructions.
  void IfEqual(uint32_t value, uint8_t skip) {
    code_.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, 0, skip));
  }
  // if (A & bits) != 0: the next instruction, else skip one.
  void IfAnySet(uint32_t bits) {
    code_.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, bits, 0, 1));
  }
  // Allows `nr` outright.
  void Allow(long nr) {
    IfEqual(static_cast<uint32_t>(nr), 1);
    Return(kAllow);
  }
  void KillUnlessEqual(uint32_t value) {
    code_.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, 1, 0));
    Return(kKill);
  }
  // The rules below leave A alone unless the call is theirs, and then they return.
  void KillWhenAnySet(uint32_t bits) {
    IfAnySet(bits);
    Return(kKill);
  }
  // `nr` is allowed when argument `arg` (low 32 bits) equals `value`, else gets `otherwise`;
  // other calls go on to the next rule with A unchanged.
  void AllowWhenArg(long nr, int arg, uint32_t value, uint32_t otherwise) {
    IfEqual(static_cast<uint32_t>(nr), 4);
    Load(ArgLow(arg));
    IfEqual(value, 1);
    Return(kAllow);
    Return(otherwise);
  }
  // As AllowWhenArg, when any of `bits` is set in the argument.
  void AllowWhenArgHas(long nr, int arg, uint32_t bits, uint32_t otherwise) {
    IfEqual(static_cast<uint32_t>(nr), 4);
    Load(ArgLow(arg));
    IfAnySet(bits);
    Return(kAllow);
    Return(otherwise);
  }
  void Respond(long nr, uint32_t action) {
    IfEqual(static_cast<uint32_t>(nr), 1);
    Return(action);
  }
  sock_fprog Finish() { return {static_cast<unsigned short>(code_.size()), code_.data()}; }

 private:
  std::vector<sock_filter> code_;
};

}  // namespace

bool InstallSyscallFilter(int channel_fd) {
  Program program;
  // Another architecture's numbers mean other calls: refuse them all.
  program.Load(kArchField);
  program.KillUnlessEqual(kArch);
  program.Load(kNr);
#if defined(__x86_64__)
  // x32 numbers alias the 64-bit ones with bit 30 set.
  program.KillWhenAnySet(0x40000000);
#endif
  for (long nr : kAllowed) {
    program.Allow(nr);
  }
  const auto fd = static_cast<uint32_t>(channel_fd);
  program.AllowWhenArg(SYS_read, 0, fd, Errno(EBADF));
  program.AllowWhenArg(SYS_write, 0, fd, Errno(EBADF));
  program.AllowWhenArg(SYS_recvfrom, 0, fd, Errno(EBADF));
  program.AllowWhenArg(SYS_sendto, 0, fd, Errno(EBADF));
  // Threads only: a new process (fork) would escape the thread-flag check.
  program.AllowWhenArgHas(SYS_clone, 0, CLONE_THREAD, kKill);
  // Signals to this process only (V8 and glibc signal their own threads).
  program.AllowWhenArg(SYS_tgkill, 0, static_cast<uint32_t>(getpid()), kKill);
  // Naming threads, nothing else of prctl.
  program.AllowWhenArg(SYS_prctl, 0, PR_SET_NAME, Errno(EPERM));
#ifdef SYS_clone3
  program.Respond(SYS_clone3, Errno(ENOSYS));
#endif
  for (long nr : kRefusedWithEperm) {
    program.Respond(nr, Errno(EPERM));
  }
  program.Return(kKill);
  sock_fprog filter = program.Finish();
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &filter) == 0;
}

}  // namespace ci::worker
