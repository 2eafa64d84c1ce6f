#ifndef CODE_INTERPRETER_CORE_ENGINE_PLATFORM_H_
#define CODE_INTERPRETER_CORE_ENGINE_PLATFORM_H_

#include <cstdint>
#include <string>

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
  // Changes in the child of each fork(): what V8 and its threads were made before it is unusable.
  static uint64_t ForkGeneration();

  // How much of a calling thread's stack, below where it takes an isolate's lock, JavaScript
  // may use (V8's --stack-size).
  static constexpr uint32_t kJsStackKb = 800;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_PLATFORM_H_
