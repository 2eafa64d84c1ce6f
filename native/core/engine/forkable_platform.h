#ifndef CODE_INTERPRETER_CORE_ENGINE_FORKABLE_PLATFORM_H_
#define CODE_INTERPRETER_CORE_ENGINE_FORKABLE_PLATFORM_H_

#include <v8-platform.h>
#include <v8-version.h>

#include <atomic>
#include <memory>
#include <mutex>

namespace ci {

/**
 * V8's platform with its threads made on first need: V8 can start, and an isolate can be made,
 * in a process that forks afterwards (the worker zygote, worker/zygote.h), since no thread
 * exists yet whose locks a child would inherit half-held. Everything that needs a thread (a
 * background task, a job, a foreground task runner) goes to libplatform's default platform,
 * made by the first such call. While the process prepares to fork, isolates get foreground
 * task runners that drop their tasks instead (an isolate made then never runs anything).
 */
class ForkablePlatform : public v8::Platform {
 public:
  explicit ForkablePlatform(int background_threads);

  // Whether the threads were made: a process that forks after this must not use V8 in the child.
  bool threads_started() const { return started_.load(std::memory_order_acquire); }
  // Between true and false, foreground task runners drop their tasks and make no thread.
  void set_preparing_fork(bool preparing) { preparing_fork_ = preparing; }
  // Before `isolate` is disposed: the default platform lets go of its foreground task runner
  // and the tasks queued there (none is ever run: nothing here pumps them).
  void ForgetIsolate(v8::Isolate* isolate);

  int NumberOfWorkerThreads() override { return background_threads_; }
  bool IdleTasksEnabled(v8::Isolate*) override { return false; }
  double MonotonicallyIncreasingTime() override;
  double CurrentClockTimeMillis() override;
  v8::TracingController* GetTracingController() override { return &tracing_; }
#if V8_MAJOR_VERSION >= 12
  std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner(v8::Isolate* isolate,
                                                          v8::TaskPriority priority) override {
    return preparing_fork_ ? dropping_ : Threads()->GetForegroundTaskRunner(isolate, priority);
  }

 protected:
  std::unique_ptr<v8::JobHandle> CreateJobImpl(v8::TaskPriority priority,
                                               std::unique_ptr<v8::JobTask> job,
                                               const v8::SourceLocation& location) override {
    return Threads()->CreateJob(priority, std::move(job), location);
  }
  void PostTaskOnWorkerThreadImpl(v8::TaskPriority priority,
                                  std::unique_ptr<v8::Task> task,
                                  const v8::SourceLocation& location) override {
    Threads()->PostTaskOnWorkerThread(priority, std::move(task), location);
  }
  void PostDelayedTaskOnWorkerThreadImpl(v8::TaskPriority priority,
                                         std::unique_ptr<v8::Task> task,
                                         double delay_in_seconds,
                                         const v8::SourceLocation& location) override {
    Threads()->PostDelayedTaskOnWorkerThread(priority, std::move(task), delay_in_seconds, location);
  }
#else
  std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner(v8::Isolate* isolate) override {
    return preparing_fork_ ? dropping_ : Threads()->GetForegroundTaskRunner(isolate);
  }
  void CallOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    Threads()->CallOnWorkerThread(std::move(task));
  }
  void CallBlockingTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    Threads()->CallBlockingTaskOnWorkerThread(std::move(task));
  }
  void CallLowPriorityTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    Threads()->CallLowPriorityTaskOnWorkerThread(std::move(task));
  }
  void CallDelayedOnWorkerThread(std::unique_ptr<v8::Task> task, double delay_in_seconds) override {
    Threads()->CallDelayedOnWorkerThread(std::move(task), delay_in_seconds);
  }
  std::unique_ptr<v8::JobHandle> PostJob(v8::TaskPriority priority,
                                         std::unique_ptr<v8::JobTask> job) override {
    return Threads()->PostJob(priority, std::move(job));
  }
#endif

 private:
  // The default platform, made (with its threads) by the first call that needs it.
  v8::Platform* Threads();

  const int background_threads_;
  bool preparing_fork_ = false;
  std::shared_ptr<v8::TaskRunner> dropping_;
  v8::TracingController tracing_;  // traces nothing, as the default platform's did unconfigured
  std::once_flag once_;
  std::unique_ptr<v8::Platform> threads_;
  std::atomic<bool> started_{false};
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_FORKABLE_PLATFORM_H_
