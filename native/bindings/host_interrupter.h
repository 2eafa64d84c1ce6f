#ifndef CODE_INTERPRETER_BINDINGS_HOST_INTERRUPTER_H_
#define CODE_INTERPRETER_BINDINGS_HOST_INTERRUPTER_H_

#include <pybind11/pybind11.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace ci::bindings {

/**
 * Stopping Python code that a host function runs. V8's termination cannot reach it; Python's
 * PyThreadState_SetAsyncExc can, but needs the GIL, which the thread that stops an execution
 * (the watchdog, a killer) must never wait for. So that thread writes the call's token to a
 * pipe, and a Python thread (code_interpreter._host) reads it and calls Interrupt() with the
 * GIL, which raises HostCallInterrupted in the calling thread if that call is still running.
 * Registration and removal of calls also hold the GIL, so an exception can never land after
 * its call ended. A C call that blocks (a sleep, a socket) sees it when it returns.
 */
class Interrupter {
 public:
  static Interrupter& Get() {
    static Interrupter* interrupter = new Interrupter();  // never destroyed: threads use it late
    return *interrupter;
  }

  // With the GIL.
  uint64_t Register() {
    const uint64_t token = ++next_token_;
    std::lock_guard<std::mutex> lock(mutex_);
    calls_[token] = Call{PyThread_get_thread_ident(), false};
    return token;
  }
  // With the GIL: the call is over; a stop request that arrived too late is dropped.
  void Unregister(uint64_t token) {
    Call call;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto found = calls_.find(token);
      if (found == calls_.end()) {
        return;
      }
      call = found->second;
      calls_.erase(found);
    }
    if (call.interrupted) {
      PyThreadState_SetAsyncExc(call.thread, nullptr);
    }
  }
  // Any thread, never blocking.
  void Request(uint64_t token) {
    if (write_fd_ >= 0) {
      ssize_t written = write(write_fd_, &token, sizeof token);
      (void)written;  // a full pipe already holds requests that will be read
    }
  }
  // With the GIL, from the reading thread.
  void Interrupt(uint64_t token) {
    unsigned long thread = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto found = calls_.find(token);
      if (found == calls_.end()) {
        return;
      }
      found->second.interrupted = true;
      thread = found->second.thread;
    }
    if (!interrupted_class_.is_none()) {
      PyThreadState_SetAsyncExc(thread, interrupted_class_.ptr());
    }
  }
  int read_fd() const { return read_fd_; }
  const pybind11::object& interrupted_class() const { return interrupted_class_; }
  const pybind11::object& pending_class() const { return pending_class_; }
  void SetPendingClass(pybind11::object type) { pending_class_ = std::move(type); }
  void SetInterruptedClass(pybind11::object type) { interrupted_class_ = std::move(type); }

 private:
  Interrupter() {
    int fds[2];
    if (pipe(fds) == 0) {
      read_fd_ = fds[0];
      write_fd_ = fds[1];
      fcntl(write_fd_, F_SETFL, fcntl(write_fd_, F_GETFL) | O_NONBLOCK);
      fcntl(read_fd_, F_SETFD, FD_CLOEXEC);
      fcntl(write_fd_, F_SETFD, FD_CLOEXEC);
    }
  }

  struct Call {
    unsigned long thread = 0;
    bool interrupted = false;
  };
  std::mutex mutex_;
  std::unordered_map<uint64_t, Call> calls_;
  std::atomic<uint64_t> next_token_{0};
  int read_fd_ = -1;
  int write_fd_ = -1;
  pybind11::object interrupted_class_ = pybind11::none();
  pybind11::object pending_class_ = pybind11::none();
};

}  // namespace ci::bindings

#endif  // CODE_INTERPRETER_BINDINGS_HOST_INTERRUPTER_H_
