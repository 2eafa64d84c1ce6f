// What V8 alone needs to run compare.py's workloads with fresh state per call, with no Python
// and none of the package's own work (no limits, no guard, no conversion): the floor under
// our W3f, W5f and W3L figures, the per-call cost of entering an isolate (W1), with and
// without the calling thread's V8 state parked, and what a furnished context costs made by
// script or deserialized from a custom startup snapshot.
// Built and run by ci/fresh-floor against the same V8 as the package.
#include <libplatform/libplatform.h>
#include <v8.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRounds = 9;

// The same JavaScript as benchmarks/workloads.py.
constexpr const char* kW1 = "Math.sqrt(16) + 5";
constexpr const char* kW3 =
    "Array.from({length:1000},(_, i)=>i).map(x=>x*2).filter(x=>x%3).reduce((a,b)=>a+b,0)";
constexpr const char* kW5 =
    "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) } fib(25)";

// A stand-in for what the package furnishes a new context with (its web globals are classes
// defined by script): 40 classes with a constructor, a getter, a method and a static method.
constexpr const char* kFurnishing =
    "for (let i = 0; i < 40; i++) globalThis['Web' + i] = class { constructor(x) { this.x = x }"
    " get value() { return this.x } add(a) { return a + this.x } static of(x) { return i + x } }";

// A startup blob whose default context, and context 0, ran kFurnishing: what a custom startup
// snapshot of a furnished context would hold.
v8::StartupData MakeFurnishedBlob(const v8::Isolate::CreateParams& params) {
#if V8_MAJOR_VERSION < 12
  (void)params;
  v8::SnapshotCreator creator;
#else
  // V8 13's creator takes the isolate's parameters (its array buffer allocator among them).
  v8::SnapshotCreator creator(params);
#endif
  v8::Isolate* isolate = creator.GetIsolate();
  {
    v8::HandleScope scope(isolate);
    v8::Local<v8::Context> context = v8::Context::New(isolate);
    v8::Context::Scope context_scope(context);
    v8::Local<v8::String> code = v8::String::NewFromUtf8(isolate, kFurnishing).ToLocalChecked();
    v8::Script::Compile(context, code).ToLocalChecked()->Run(context).ToLocalChecked();
    creator.SetDefaultContext(context);
    creator.AddContext(context);
  }
  return creator.CreateBlob(v8::SnapshotCreator::FunctionCodeHandling::kKeep);
}

// The median over kRounds of the mean time per call of `calls` calls, in microseconds (as
// compare.py takes medians of per-batch means). `setup` runs before each call, off the clock.
template <typename Setup, typename Work>
double MedianUs(int calls, Setup&& setup, Work&& work) {
  std::vector<double> rounds;
  for (int round = 0; round < kRounds; ++round) {
    Clock::duration spent{};
    for (int i = 0; i < calls; ++i) {
      setup();
      auto started = Clock::now();
      work();
      spent += Clock::now() - started;
    }
    rounds.push_back(std::chrono::duration<double, std::micro>(spent).count() / calls);
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[rounds.size() / 2];
}

template <typename Work>
double MedianUs(int calls, Work&& work) {
  return MedianUs(calls, [] {}, work);
}

// W3L's measure: the median time of single calls, each after 1 ms of idle time (and `setup`,
// both off the clock), as compare.py's latency_p50_us takes it.
template <typename Setup, typename Work>
double LatencyP50Us(int calls, Setup&& setup, Work&& work) {
  std::vector<double> times;
  for (int i = 0; i < calls; ++i) {
    setup();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    auto started = Clock::now();
    work();
    times.push_back(std::chrono::duration<double, std::micro>(Clock::now() - started).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

class Probe {
 public:
  explicit Probe(v8::Isolate* isolate) : isolate_(isolate) {}

  // Compiled once, as the package's script cache does; bound to each context it runs in.
  v8::Local<v8::UnboundScript> Compile(const char* code) {
    v8::ScriptCompiler::Source source(v8::String::NewFromUtf8(isolate_, code).ToLocalChecked());
    return v8::ScriptCompiler::CompileUnboundScript(isolate_, &source).ToLocalChecked();
  }

  // Runs `script`, bound to `context`, and reads the result as UTF-8 text (what interpret()
  // returns).
  std::string Run(v8::Local<v8::Context> context, v8::Local<v8::Script> script) {
    v8::Context::Scope context_scope(context);
    v8::Local<v8::Value> result = script->Run(context).ToLocalChecked();
    v8::String::Utf8Value text(isolate_, result);
    return std::string(*text, text.length());
  }

  // Binds `script` to `context` (a new top-level closure: its inner closures start without
  // type feedback) and runs it there.
  std::string BindAndRun(v8::Local<v8::Context> context, v8::Local<v8::UnboundScript> script) {
    v8::Context::Scope context_scope(context);
    return Run(context, script->BindToCurrentContext());
  }

 private:
  v8::Isolate* isolate_;
};

}  // namespace

int main(int argc, char** argv) {
  // With a name and a count, only that work, that many times, untimed: for counting its
  // instructions (valgrind --tool=callgrind, two counts, the difference over their difference).
  const std::string only = argc == 3 ? argv[1] : "";
  const int count = argc == 3 ? std::atoi(argv[2]) : 0;
  // As the package starts V8 (core/engine/platform.cc, core/engine/webassembly_on_demand.cc on libnode):
  // its flags (no WebAssembly object in contexts that do not ask for it), two workers, no idle
  // tasks.
  // One at a time: V8 ignores every flag after one it does not know (V8 13 has no wasm-threads
  // flag, nor the WebAssembly installer the last two need: there they are left out).
  for (const char* flag : {"--disallow-code-generation-from-strings", "--stack-size=800"
#if V8_MAJOR_VERSION < 12
                           ,
                           "--no-experimental-wasm-threads", "--no-expose-wasm", "--no-validate-asm"
#else
                           ,
                           "--no-turboshaft"
#endif
       }) {
    v8::V8::SetFlagsFromString(flag);
  }
  std::unique_ptr<v8::Platform> platform =
      v8::platform::NewDefaultPlatform(2, v8::platform::IdleTaskSupport::kDisabled);
  v8::V8::InitializePlatform(platform.get());
  v8::V8::Initialize();
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = v8::ArrayBuffer::Allocator::NewDefaultAllocator();
  // The heap sized as the package sizes a sandbox's (core/isolate/isolate_holder.cc, 128 MB default):
  // how often V8 collects is part of every figure here.
  constexpr size_t kMemoryLimit = 128ull << 20;
  params.constraints.ConfigureDefaultsFromHeapSize(0, kMemoryLimit);
  params.constraints.set_max_old_generation_size_in_bytes(
      params.constraints.max_old_generation_size_in_bytes() + (1ull << 30));
  params.constraints.set_initial_old_generation_size_in_bytes(kMemoryLimit / 2);
  // Made before any isolate of the probe: the creator enters an isolate of its own.
  v8::StartupData furnished_blob = only.empty() ? MakeFurnishedBlob(params) : v8::StartupData{};
  v8::Isolate* isolate = v8::Isolate::New(params);
  Probe probe(isolate);
  std::vector<std::pair<std::string, double>> figures;
  double w3l_warm = 0;
  double w3l_ahead = 0;
  {
    v8::Global<v8::UnboundScript> w3;
    v8::Global<v8::UnboundScript> w5;
    // The persistent mode's context, with each script bound to it once (the package caches the
    // binding, so its inner closures share type feedback and optimized code from run to run).
    v8::Global<v8::Context> persistent;
    v8::Global<v8::Script> w1_bound;
    v8::Global<v8::Script> w3_bound;
    v8::Global<v8::Script> w5_bound;
    v8::Global<v8::Context> ahead;
    {
      v8::Locker locker(isolate);
      v8::Isolate::Scope isolate_scope(isolate);
      v8::HandleScope scope(isolate);
      v8::Local<v8::Context> context = v8::Context::New(isolate);
      persistent.Reset(isolate, context);
      // Compiled inside a context, as the package compiles: V8 13 reads the entered context
      // while compiling even a script bound to none.
      v8::Context::Scope context_scope(context);
      w3.Reset(isolate, probe.Compile(kW3));
      w5.Reset(isolate, probe.Compile(kW5));
      w1_bound.Reset(isolate, probe.Compile(kW1)->BindToCurrentContext());
      w3_bound.Reset(isolate, w3.Get(isolate)->BindToCurrentContext());
      w5_bound.Reset(isolate, w5.Get(isolate)->BindToCurrentContext());
    }
    // Every call as a caller on any thread must make it: lock and enter the isolate first.
    auto call = [&](auto&& body) {
      v8::Locker locker(isolate);
      v8::Isolate::Scope isolate_scope(isolate);
      v8::HandleScope scope(isolate);
      body();
    };
    auto run_persistent = [&](const v8::Global<v8::Script>& script) {
      return [&] { call([&] { probe.Run(persistent.Get(isolate), script.Get(isolate)); }); };
    };
    auto run_new = [&](const v8::Global<v8::UnboundScript>& script) {
      return
          [&] { call([&] { probe.BindAndRun(v8::Context::New(isolate), script.Get(isolate)); }); };
    };
    auto make_ahead = [&] { call([&] { ahead.Reset(isolate, v8::Context::New(isolate)); }); };
    auto run_ahead = [&] { call([&] { probe.BindAndRun(ahead.Get(isolate), w3.Get(isolate)); }); };
    auto new_context = [&] { call([&] { v8::Context::New(isolate); }); };

    if (!only.empty()) {
      std::function<void()> work;
      if (only == "w1")
        work = run_persistent(w1_bound);
      if (only == "w1-parked") {
        // The thread keeps its V8 state archived between calls (core/engine/thread_parking.h): an
        // outer lock, released, both held to the end.
        new v8::Locker(isolate);
        new v8::Unlocker(isolate);
        work = run_persistent(w1_bound);
      }
      if (only == "w3")
        work = run_persistent(w3_bound);
      if (only == "w5")
        work = run_persistent(w5_bound);
      if (only == "w3f")
        work = run_new(w3);
      if (only == "w5f")
        work = run_new(w5);
      if (only == "context")
        work = new_context;
      if (only == "w3-ahead")
        work = [&] {
          make_ahead();
          run_ahead();
        };
      if (!work) {
        std::fprintf(stderr,
                     "usage: fresh_floor [w1|w1-parked|w3|w5|w3f|w5f|context|w3-ahead COUNT]\n");
        return 2;
      }
      for (int i = 0; i < count; ++i) {
        work();
      }
    } else {
      figures = {
          {"W1, one context", MedianUs(20000, run_persistent(w1_bound))},
          {"W1, thread state parked",
           [&] {
             auto* outer = new v8::Locker(isolate);
             auto* parked = new v8::Unlocker(isolate);
             double us = MedianUs(20000, run_persistent(w1_bound));
             delete parked;
             delete outer;
             return us;
           }()},
          {"W3 warm, one context", MedianUs(2000, run_persistent(w3_bound))},
          {"W5 warm, one context", MedianUs(100, run_persistent(w5_bound))},
          {"Context::New alone", MedianUs(300, new_context)},
          {"W3f: new context + cold run", MedianUs(300, run_new(w3))},
          {"W5f: new context + cold run", MedianUs(100, run_new(w5))},
      };
      // A furnished context three ways: made and furnished by script (compiled once), or
      // deserialized from a custom startup snapshot, as its default context or by index.
      figures.push_back({"Context::New + furnishing script", [&] {
                           v8::Global<v8::UnboundScript> furnishing;
                           call([&] {
                             v8::Context::Scope context_scope(persistent.Get(isolate));
                             furnishing.Reset(isolate, probe.Compile(kFurnishing));
                           });
                           double us = MedianUs(300, [&] {
                             call([&] {
                               probe.BindAndRun(v8::Context::New(isolate), furnishing.Get(isolate));
                             });
                           });
                           call([&] { furnishing.Reset(); });
                           return us;
                         }()});
      {
        v8::Isolate::CreateParams from_blob = params;
        from_blob.snapshot_blob = &furnished_blob;
        v8::Isolate* snapshot_isolate = v8::Isolate::New(from_blob);
        auto in_snapshot_isolate = [&](auto&& body) {
          return [&, body] {
            v8::Locker locker(snapshot_isolate);
            v8::Isolate::Scope isolate_scope(snapshot_isolate);
            v8::HandleScope scope(snapshot_isolate);
            body();
          };
        };
        figures.push_back(
            {"Context::New, furnished default context",
             MedianUs(300, in_snapshot_isolate([&] { v8::Context::New(snapshot_isolate); }))});
        figures.push_back({"Context::FromSnapshot, furnished",
                           MedianUs(300, in_snapshot_isolate([&] {
                                      v8::Context::FromSnapshot(snapshot_isolate, 0).ToLocalChecked();
                                    }))});
        figures.push_back({"  snapshot blob, KiB", furnished_blob.raw_size / 1024.0});
        snapshot_isolate->Dispose();
      }
      w3l_warm = LatencyP50Us(1000, [] {}, run_persistent(w3_bound));
      // Its context made before the call, off the clock (as a preparer does in idle time).
      w3l_ahead = LatencyP50Us(1000, make_ahead, run_ahead);
    }
    v8::Locker locker(isolate);
    w3.Reset();
    w5.Reset();
    w1_bound.Reset();
    w3_bound.Reset();
    w5_bound.Reset();
    persistent.Reset();
    ahead.Reset();
  }
  if (only.empty()) {
    std::printf("V8 %s alone, us per call (medians):\n", v8::V8::GetVersion());
    for (const auto& [name, us] : figures) {
      std::printf("  %-40s %9.2f\n", name.c_str(), us);
    }
    std::printf("  %-40s %9.2f\n", "W3L warm, one context", w3l_warm);
    std::printf("  %-40s %9.2f\n", "W3L fresh: context made ahead, cold run", w3l_ahead);
    std::printf("  %-40s %9.2f\n", "W3L floor ratio (made ahead / warm)", w3l_ahead / w3l_warm);
  }
  isolate->Dispose();
  delete params.array_buffer_allocator;
  delete[] furnished_blob.data;
  v8::V8::Dispose();
  v8::V8::DisposePlatform();
  return 0;
}
