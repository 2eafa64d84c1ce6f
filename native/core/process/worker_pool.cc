#include "core/process/worker_pool.h"

#include <signal.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "core/channel/socket_io.h"
#include "core/engine/cancel_token.h"
#include "core/engine/termination_state.h"

namespace ci {
namespace {

// The signal that cancels a worker's execution; its value names the execution.
constexpr int kCancelSignal = SIGUSR1;

// What a CancelToken stops while its execution runs in a worker: the worker, by signal.
class RemoteExecution final : public ExecutionControl {
 public:
  RemoteExecution(WorkerProcess* process, uint64_t number) : process_(process), number_(number) {}
  bool stopping() const override { return false; }
  void RequestTermination(Termination reason) override { RequestTerminationOf(number_, reason); }
  void RequestTerminationOf(uint64_t number, Termination reason) override {
    if (number == number_ && reason == Termination::kCancelled) {
      process_->Signal(kCancelSignal, static_cast<int>(number_ & 0x7fffffff));
    }
  }
  void DeclineAttempt() override {}

 private:
  WorkerProcess* process_;
  uint64_t number_;
};

void AddFigures(PoolStats* total, const PoolStats& figures) {
  total->isolates_replaced += figures.isolates_replaced;
  total->isolates_retired += figures.isolates_retired;
  total->contexts_prepared += figures.contexts_prepared;
  total->counts += figures.counts;
}

Clock::time_point DeadlineOf(double timeout_ms) {
  const double wait_ms = timeout_ms + WorkerPool::kGraceMs;
  return wait_ms < 1e12 ? Clock::now() + FromMs(wait_ms) : Clock::time_point::max();
}

}  // namespace

WorkerPool::WorkerPool(WorkerPoolConfig config)
    : config_(std::move(config)),
      setup_(
          EncodeSetup(config_.pool.isolate, config_.pool.keep_idle > 0, config_.platform_threads)),
      slots_(std::max<uint32_t>(1, config_.pool.max_isolates)) {
  if (config_.pool.isolate.profile.host != nullptr) {
    throw std::invalid_argument("process isolation does not carry host functions");
  }
}

WorkerPool::~WorkerPool() {
  Kill();
}

WorkerPool::Slot* WorkerPool::Acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (killed_) {
      return nullptr;
    }
    Slot* free_slot = nullptr;
    for (Slot& slot : slots_) {
      if (!slot.busy && (free_slot == nullptr || (slot.process && !free_slot->process))) {
        free_slot = &slot;  // one with a running process first
      }
    }
    if (free_slot != nullptr) {
      free_slot->busy = true;
      return free_slot;
    }
    available_.wait(lock);
  }
}

std::unique_ptr<WorkerProcess> WorkerPool::Release(Slot* slot, bool keep) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::unique_ptr<WorkerProcess> ended;
  if ((!keep || killed_) && slot->process) {
    ended = std::move(slot->process);
    AddFigures(&ended_, slot->figures);
    slot->figures = PoolStats();
    if (!killed_) {
      slot->restarts++;
    }
  }
  slot->busy = false;
  available_.notify_one();
  return ended;
}

void WorkerPool::EnsureStarted(Slot* slot) {
  if (slot->process) {
    return;
  }
  std::unique_ptr<WorkerProcess> process = WorkerProcess::Launch(config_.executable, setup_);
  process->AwaitReady(kStartTimeoutMs);
  std::lock_guard<std::mutex> lock(mutex_);
  slot->process = std::move(process);
  slot->executions = 0;
  if (killed_) {
    slot->process->Stop();  // Kill() came while it started
  }
}

void WorkerPool::Execute(const ExecutionRequest& request, Outcome* outcome) {
  Slot* slot = Acquire();
  if (slot == nullptr) {
    outcome->kind = OutcomeKind::kKilled;
    return;
  }
  bool keep = false;
  try {
    EnsureStarted(slot);
    keep = Converse(slot, request, outcome);
  } catch (const std::runtime_error& error) {
    outcome->kind = OutcomeKind::kWorkerLost;
    outcome->detail = error.what();
  }
  if (outcome->kind == OutcomeKind::kWorkerLost && killed()) {
    outcome->kind = OutcomeKind::kKilled;
  }
  std::unique_ptr<WorkerProcess> ended = Release(slot, keep);
  // Reaping outside the pool's lock: a process may take a moment to go.
}

bool WorkerPool::Converse(Slot* slot, const ExecutionRequest& request, Outcome* outcome) {
  WorkerProcess* process = slot->process.get();
  RemoteExecution remote(process, ++slot->executions);
  if (request.token != nullptr && request.token->Attach(&remote, slot->executions)) {
    request.token->Detach();
    outcome->kind = OutcomeKind::kCancelled;
    return true;
  }
  struct Detach {
    CancelToken* token;
    ~Detach() {
      if (token != nullptr) {
        token->Detach();
      }
    }
  } detach{request.token};
  const auto deadline = DeadlineOf(request.timeout_ms);
  if (!SendMessage(process->channel(), EncodeRequest(request))) {
    outcome->kind = OutcomeKind::kWorkerLost;
    outcome->detail = process->Reap(false) + " before its execution began";
    return false;
  }
  MessageType type;
  std::string payload;
  try {
    switch (ReceiveMessage(process->channel(), deadline, &type, &payload)) {
      case Received::kTimedOut:
        process->Reap(true);  // it did not stop at its own deadline
        outcome->kind = OutcomeKind::kTimeout;
        return false;
      case Received::kClosed:
        outcome->kind = OutcomeKind::kWorkerLost;
        outcome->detail = process->Reap(false) + " during the execution";
        return false;
      case Received::kMessage:
        break;
    }
    MessageReader reader(payload);
    if (type == MessageType::kFailure) {
      const std::string reason = DecodeFailure(reader);
      outcome->kind = OutcomeKind::kWorkerLost;
      outcome->detail = process->Reap(true) + " after it failed: " + reason;
      return false;
    }
    if (type != MessageType::kOutcome) {
      throw ChannelError("a message that is not an outcome came during the execution");
    }
    PoolStats figures;
    DecodeOutcome(reader, outcome, &figures);
    std::lock_guard<std::mutex> lock(mutex_);
    slot->figures = figures;
    return true;
  } catch (const ChannelError& error) {
    *outcome = Outcome();
    outcome->kind = OutcomeKind::kWorkerLost;
    outcome->detail =
        process->Reap(true) + " after it sent a malformed message (" + error.what() + ")";
    return false;
  }
}

void WorkerPool::Prewarm(uint32_t count) {
  std::vector<Slot*> taken;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (Slot& slot : slots_) {
      if (taken.size() < count && !slot.busy && !slot.process && !killed_) {
        slot.busy = true;
        taken.push_back(&slot);
      }
    }
  }
  // Every process starts at once; then each is awaited.
  std::vector<std::unique_ptr<WorkerProcess>> started(taken.size());
  std::string failure;
  for (size_t i = 0; i < taken.size(); ++i) {
    try {
      started[i] = WorkerProcess::Launch(config_.executable, setup_);
    } catch (const std::runtime_error& error) {
      failure = error.what();
    }
  }
  for (size_t i = 0; i < taken.size(); ++i) {
    try {
      if (started[i]) {
        started[i]->AwaitReady(kStartTimeoutMs);
        std::lock_guard<std::mutex> lock(mutex_);
        taken[i]->process = std::move(started[i]);
        taken[i]->executions = 0;
      }
    } catch (const std::runtime_error& error) {
      failure = error.what();
    }
    Release(taken[i], true);
  }
  if (!failure.empty()) {
    throw std::runtime_error(failure);
  }
}

void WorkerPool::Kill() {
  std::vector<std::unique_ptr<WorkerProcess>> idle;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    killed_ = true;
    for (Slot& slot : slots_) {
      if (!slot.process) {
        continue;
      }
      slot.process->Stop();  // a busy one's caller sees it end and reports kKilled
      if (!slot.busy) {
        AddFigures(&ended_, slot.figures);
        slot.figures = PoolStats();
        idle.push_back(std::move(slot.process));
      }
    }
    available_.notify_all();
  }
  idle.clear();  // reaps them
}

bool WorkerPool::killed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return killed_;
}

PoolStats WorkerPool::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  PoolStats stats = ended_;
  for (const Slot& slot : slots_) {
    if (!slot.process) {
      continue;
    }
    stats.live_isolates += slot.figures.live_isolates > 0 ? slot.figures.live_isolates : 1;
    stats.busy_isolates += slot.busy ? 1 : 0;
    AddFigures(&stats, slot.figures);
    if (!slot.busy) {
      stats.attempt_overhead_ms =
          std::max(stats.attempt_overhead_ms, slot.figures.attempt_overhead_ms);
      const double new_context = slot.figures.new_context_ms;
      if (new_context >= 0 && (stats.new_context_ms < 0 || new_context < stats.new_context_ms)) {
        stats.new_context_ms = new_context;
      }
    }
  }
  return stats;
}

std::vector<WorkerStatus> WorkerPool::workers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<WorkerStatus> workers;
  for (const Slot& slot : slots_) {
    WorkerStatus status;
    if (slot.process) {
      const LockdownReport& lockdown = slot.process->lockdown();
      status.pid = slot.process->pid();
      status.seccomp = lockdown.seccomp;
      status.no_new_privs = lockdown.no_new_privs;
      status.namespaces = lockdown.namespaces;
    }
    status.restarts = slot.restarts;
    status.busy = slot.busy;
    workers.push_back(std::move(status));
  }
  return workers;
}

}  // namespace ci
