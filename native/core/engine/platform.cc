#include "core/engine/platform.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sys/random.h>
#include <unistd.h>
#include <v8.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/engine/forkable_platform.h"
#include "core/engine/webassembly_on_demand.h"

namespace ci {
namespace {

std::once_flag g_init_once;
// Two by default: this is a 2-core target, and GC helpers beyond that only contend.
std::mutex g_start_mutex;
int g_background_threads = 2;  // under g_start_mutex
bool g_started = false;        // under g_start_mutex
pid_t g_init_pid = 0;
ForkablePlatform* g_platform = nullptr;  // made once, by InitializeOnce
// An isolate that is never used: made before a fork, it keeps V8's read-only heap alive (made
// with the first isolate, released with the last), which the children then share.
v8::Isolate* g_keeper = nullptr;

// Bumped in the child of every fork(): cheaper to compare on each call than getpid(), which is
// a system call.
std::atomic<uint64_t> g_fork_generation{0};

const int g_fork_watch = pthread_atfork(nullptr, nullptr, [] {
  g_fork_generation.fetch_add(1, std::memory_order_relaxed);
});

// Flags, each for a reason:
// --disallow-code-generation-from-strings: eval / new Function are never allowed at any level;
//   each context also forbids it, this makes it hold for any context we might miss.
// --no-expose-wasm --no-validate-asm where V8's WebAssembly installer is exported: only the
//   permissive contexts get WebAssembly, built on demand (core/engine/webassembly_on_demand.h).
// --no-experimental-wasm-threads: shared WebAssembly memory would hand out SharedArrayBuffers,
//   which no level offers. V8 12 ships threads and has no such flag: there the permissive
//   level's WebAssembly refuses shared memories itself (core/realm/context_factory.cc).
// --stack-size (Platform::kJsStackKb, 800): JS recursion raises RangeError well before the
//   ~1 MB V8 assumes is left, leaving room for our own frames on threads with small stacks.
// --no-turboshaft on V8 12 and later: V8 13.6's Turboshaft compiles
//   `while (true) a.push(new Array(1000))` into a loop that never checks for interrupts, so
//   neither the watchdog's nor the memory limit's TerminateExecution ever stops it (the heap
//   grows until the process dies); Turbofan's older pipeline keeps the check.
// Each flag is set on its own: V8 ignores every flag after one it does not know.
std::vector<std::string> Flags() {
  std::vector<std::string> flags = {"--disallow-code-generation-from-strings",
                                    "--stack-size=" + std::to_string(Platform::kJsStackKb)};
#if V8_MAJOR_VERSION < 12
  flags.push_back("--no-experimental-wasm-threads");
#else
  flags.push_back("--no-turboshaft");
#endif
  for (const char* flag : WebAssemblyOnDemandFlags()) {
    flags.push_back(flag);
  }
  return flags;
}

// V8 seeds its generators (Math.random, hashes, where its pages go) from here: getrandom needs
// no file, so it works in a worker that may open none.
bool Entropy(unsigned char* buffer, size_t length) {
  size_t filled = 0;
  while (filled < length) {
    const ssize_t got = getrandom(buffer + filled, length - filled, 0);
    if (got <= 0) {
      return false;
    }
    filled += static_cast<size_t>(got);
  }
  return true;
}

void InitializeOnce() {
  v8::V8::SetEntropySource(Entropy);
  for (const std::string& flag : Flags()) {
    v8::V8::SetFlagsFromString(flag.c_str(), flag.size());
  }
  // Deliberately leaked: isolates may still run while the process exits.
  int threads;
  {
    std::lock_guard<std::mutex> lock(g_start_mutex);
    g_started = true;
    threads = g_background_threads;
  }
  g_platform = new ForkablePlatform(threads);
  v8::V8::InitializePlatform(g_platform);
  v8::V8::Initialize();
  g_init_pid = getpid();
}

}  // namespace

void Platform::EnsureInitialized() {
  std::call_once(g_init_once, InitializeOnce);
  if (g_init_pid != getpid()) {
    throw std::runtime_error(
        "V8 was started in the parent of this forked process and cannot be used here; "
        "create sandboxes after fork, or use the 'spawn' start method");
  }
}

bool Platform::SetBackgroundThreads(int threads) {
  std::lock_guard<std::mutex> lock(g_start_mutex);
  if (g_started) {
    return false;
  }
  g_background_threads = threads;
  return true;
}

// V8's own, not in its API: where V8 asks the kernel to put its pages. Its generator was seeded
// once in the process that forked, so every child would otherwise place its heap alike.
using SetRandomMmapSeedFunction = void (*)(int64_t);
SetRandomMmapSeedFunction MmapSeedSetter() {
  return reinterpret_cast<SetRandomMmapSeedFunction>(
      dlsym(RTLD_DEFAULT, "_ZN2v84base2OS17SetRandomMmapSeedEl"));
}

bool Platform::StartBeforeFork(int background_threads) {
#if V8_MAJOR_VERSION >= 12
  // V8 12 and later start the threads of their optimizing compiler with the first isolate,
  // outside the platform: a process with an isolate cannot fork safely.
  static_cast<void>(background_threads);
  return false;
#else
  if (MmapSeedSetter() == nullptr) {
    return false;
  }
  SetBackgroundThreads(background_threads);
  EnsureInitialized();
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = v8::ArrayBuffer::Allocator::NewDefaultAllocator();
  g_platform->set_preparing_fork(true);
  g_keeper = v8::Isolate::New(params);
  if (g_platform->threads_started()) {
    throw std::runtime_error("V8 started its threads before the fork");
  }
  return true;
#endif
}

bool Platform::AdoptAfterFork() {
  SetRandomMmapSeedFunction set_seed = MmapSeedSetter();
  int64_t seed = 0;
  if (g_platform == nullptr || g_platform->threads_started() || set_seed == nullptr ||
      getrandom(&seed, sizeof seed, 0) != sizeof seed) {
    return false;
  }
  set_seed(seed != 0 ? seed : 1);  // V8 takes 0 for "keep the seed"
  g_platform->set_preparing_fork(false);
  g_init_pid = getpid();
  return true;
}

void Platform::ForgetIsolate(v8::Isolate* isolate) {
  g_platform->ForgetIsolate(isolate);
}

uint64_t Platform::ForkGeneration() {
  return g_fork_generation.load(std::memory_order_relaxed);
}

std::string Platform::V8Version() {
  return v8::V8::GetVersion();
}

}  // namespace ci
