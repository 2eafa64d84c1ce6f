#include "core/process/worker_pool.h"

#include <signal.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "core/channel/channel_end.h"
#include "core/engine/cancel_token.h"
#include "core/engine/termination_state.h"

namespace ci {
namespace {

// The signal that cancels a worker's execution; its value names the execution.
constexpr int kCancelSignal = SIGUSR1;

// What a CancelToken stops while its execution runs in a worker: the worker, by signal, and
// the host call running for it here.
class RemoteExecution final : public ExecutionControl {
 public:
  RemoteExecution(WorkerProcess* process, uint64_t number, HostFunctions* host, const void* caller)
      : process_(process), number_(number), host_(host), caller_(caller) {}
  bool stopping() const override { return false; }
  void RequestTermination(Termination reason) override { RequestTerminationOf(number_, reason); }
  void RequestTerminationOf(uint64_t number, Termination reason) override {
    if (number == number_ && reason == Termination::kCancelled) {
      process_->Signal(kCancelSignal, static_cast<int>(number_ & 0x7fffffff));
      if (host_ != nullptr) {
        host_->Interrupt(caller_);
      }
    }
  }
  void DeclineAttempt() override {}

 private:
  WorkerProcess* process_;
  uint64_t number_;
  HostFunctions* host_;
  const void* caller_;
};

// Where the host posts the later replies of one execution's calls answered kPending: on to the
// worker, until the execution ends (then they are dropped, as in this process).
class ForwardedCompletions final : public HostCompletionSink {
 public:
  // A worker that stops taking what it is sent holds a reply back until `deadline` at most.
  ForwardedCompletions(std::shared_ptr<WorkerProcess> process, Clock::time_point deadline)
      : process_(std::move(process)), deadline_(deadline) {}
  void Post(uint64_t call_id, HostReply reply) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (process_ != nullptr) {
      process_->channel().Send(EncodeHostReply(MessageType::kHostCompletion, call_id, reply),
                               deadline_);
    }
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    process_.reset();
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<WorkerProcess> process_;
  const Clock::time_point deadline_;
};

std::vector<std::string> HostNames(const HostFunctions* host) {
  return host != nullptr ? host->names() : std::vector<std::string>();
}

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
      host_(config_.pool.isolate.profile.host.get()),
      setup_(EncodeSetup(config_.pool.isolate, HostNames(host_), config_.pool.keep_idle > 0)),
      slots_(std::max<uint32_t>(1, config_.pool.max_isolates)),
      ledger_(config_.pool.isolate.persistent_context ? nullptr : std::make_unique<CodeLedger>()) {
  if (host_ != nullptr) {
    for (Slot& slot : slots_) {
      slot.watch = std::make_unique<HostWatch>(host_, &slot);
    }
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

std::shared_ptr<WorkerProcess> WorkerPool::Release(Slot* slot, bool keep) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::shared_ptr<WorkerProcess> ended;
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
  std::shared_ptr<WorkerProcess> process = WorkerProcess::Launch(config_.executable, setup_);
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
  std::shared_ptr<WorkerProcess> ended = Release(slot, keep);
  // Reaping outside the pool's lock: a process may take a moment to go.
}

bool WorkerPool::Converse(Slot* slot, const ExecutionRequest& request, Outcome* outcome) {
  WorkerProcess* process = slot->process.get();
  RemoteExecution remote(process, ++slot->executions, host_, slot);
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
  std::shared_ptr<ForwardedCompletions> completions;
  if (host_ != nullptr) {
    completions = std::make_shared<ForwardedCompletions>(slot->process, deadline);
    if (request.timeout_ms < 1e12) {
      slot->watch->slot().Arm(Clock::now() + FromMs(request.timeout_ms), slot->executions);
    }
  }
  struct EndHostCalls {
    HostWatch* watch;
    ForwardedCompletions* completions;
    ~EndHostCalls() {
      if (watch != nullptr) {
        watch->slot().Disarm();
        completions->Close();
      }
    }
  } end_host_calls{slot->watch.get(), completions.get()};
  // What another worker learned of this code goes with it, so where a call lands does not
  // decide how much of it is recycled (as the default mode's isolates share a ledger).
  CodeLedger::Knowledge known;
  ExecutionRequest with_knowledge = request;
  if (ledger_ != nullptr &&
      ledger_->Read(std::string_view(request.code, request.code_length), &known)) {
    with_knowledge.known = &known;
  }
  // Its worker keeps a core busy until the outcome comes (core/channel/spin_gate.h).
  SpinGate& gate = SpinGate::ForThisProcess();
  gate.ExecutionBegins();
  process->channel().AdvisePeerSpinning(gate.HasRoom());
  struct ExecutionEnds {
    SpinGate& gate;
    ~ExecutionEnds() { gate.ExecutionEnds(); }
  } execution_ends{gate};
  // A send fails when the worker is gone, or when it took nothing more until the deadline (a
  // worker that stops reading holds its caller no longer than that).
  const auto unsent = [&](const char* when) {
    if (Clock::now() >= deadline) {
      process->Reap(true);
      outcome->kind = OutcomeKind::kTimeout;
    } else {
      outcome->kind = OutcomeKind::kWorkerLost;
      outcome->detail = process->Reap(false) + when;
    }
    return false;
  };
  MessageType type;
  std::string payload;
  try {
    if (!process->channel().Send(EncodeRequest(with_knowledge), deadline)) {
      return unsent(" before its execution began");
    }
    Received received;
    for (;;) {
      received = process->channel().Receive(deadline, &type, &payload);
      if (received != Received::kMessage || type != MessageType::kHostCall) {
        break;
      }
      if (host_ == nullptr) {
        throw ChannelError("a host call came from a sandbox without host functions");
      }
      MessageReader reader(payload);
      if (!AnswerHostCall(slot, reader, completions, deadline)) {
        return unsent(" while a host call of it ran");
      }
    }
    switch (received) {
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
    if (outcome->has_knowledge && ledger_ != nullptr) {
      ledger_->Put(std::string_view(request.code, request.code_length),
                   std::move(outcome->knowledge));
    }
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

bool WorkerPool::AnswerHostCall(Slot* slot,
                                MessageReader& reader,
                                const std::shared_ptr<HostCompletionSink>& completions,
                                Clock::time_point deadline) {
  const ChannelHostCall crossing = DecodeHostCall(reader, host_->names().size());
  HostCall call;
  call.caller = slot;  // the binding interrupts and tells re-entrant calls apart by it
  call.call_id = crossing.call_id;
  call.completions = completions;
  const HostReply reply = host_->Call(call, crossing.index, crossing.arguments);
  return slot->process->channel().Send(
      EncodeHostReply(MessageType::kHostReply, crossing.call_id, reply), deadline);
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
  std::vector<std::shared_ptr<WorkerProcess>> started(taken.size());
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
  std::vector<std::shared_ptr<WorkerProcess>> idle;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    killed_ = true;
    for (Slot& slot : slots_) {
      if (!slot.process) {
        continue;
      }
      slot.process->Stop();  // a busy one's caller sees it end and reports kKilled
      if (slot.busy && host_ != nullptr) {
        host_->Interrupt(&slot);  // and a host call running for it is asked to stop
      }
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
