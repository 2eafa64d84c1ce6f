#ifndef CODE_INTERPRETER_WORKER_SYSCALL_FILTER_H_
#define CODE_INTERPRETER_WORKER_SYSCALL_FILTER_H_

namespace ci::worker {

/**
 * Installs the worker's seccomp-bpf allow-list on every thread of the process (TSYNC): what V8
 * and the worker use while they compute (memory, futexes, clocks, threads, signals to itself,
 * reading and writing its channel) is allowed; reads and writes of any other descriptor fail
 * with EBADF, clone3 with ENOSYS (so that threads are made by clone, whose flags the filter can
 * check), opening or inspecting a file by name with EPERM (the C library and ICU look for time
 * zone data now and then); everything else (socket, connect, execve, fork, ptrace, ...) kills
 * the whole process (SIGSYS). Needs no_new_privs set before.
 * Returns false, with errno, when the kernel refused the filter.
 */
bool InstallSyscallFilter(int channel_fd);

}  // namespace ci::worker

#endif  // CODE_INTERPRETER_WORKER_SYSCALL_FILTER_H_
