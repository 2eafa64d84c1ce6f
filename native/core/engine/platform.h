#ifndef CODE_INTERPRETER_CORE_ENGINE_PLATFORM_H_
#define CODE_INTERPRETER_CORE_ENGINE_PLATFORM_H_

#include <cstdint>
#include <string>

namespace v8 {
class Isolate;
}  // namespace v8

namespace ci {

/**
 * The process-wide V8 platform: initialised once, on first use, from any thread, and never torn
 * down (isolates may still be running while the interpreter exits).
 */
class Platform {
 public:
  // Initialises V8 if needed. Throws std::runtime_error in a process forked after V8 started,
  // whose platform threads did not survive the fork.
  static void EnsureInitialized();
  // How many threads V8's platform gets for background work (compiling, collecting), when V8
  // has not started yet (then true). A worker process that owns one isolate takes one.
  static bool SetBackgroundThreads(int threads);
  static std::string V8Version();
  // In a process that forks workers (worker/zygote.h): starts V8 and makes an isolate whose
  // process-wide parts (the read-only heap above all) the children then share, with no thread
  // made yet. False (and nothing started) when V8 cannot be made ready for that here (V8 12 and
  // later start compiler threads of their own with the first isolate); throws
  // std::runtime_error when V8 started its threads after all.
  static bool StartBeforeFork(int background_threads);
  // In the child of such a fork, before anything else of V8: takes V8 over, with its own
  // placement of pages. False when the parent had started V8's threads after all.
  static bool AdoptAfterFork();
  // Before an isolate is disposed: what the platform keeps for it goes (else it stays for the
  // process's life, one runner and its queued tasks per isolate ever made).
  static void ForgetIsolate(v8::Isolate* isolate);
  // Changes in the child of each fork(): what V8 and its threads were made before it is unusable.
  static uint64_t ForkGeneration();

  // How much of a calling thread's stack, below where it takes an isolate's lock, JavaScript
  // may use (V8's --stack-size).
  static constexpr uint32_t kJsStackKb = 800;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_PLATFORM_H_
