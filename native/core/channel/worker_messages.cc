#include "core/channel/worker_messages.h"

#include <limits>
#include <memory>

#include "core/channel/module_store_codec.h"
#include "core/channel/value_codec.h"

namespace ci {
namespace {

constexpr size_t kMaxCodeBytes = 64 << 20;

void PutFigures(MessageWriter& out, const PoolStats& figures) {
  out.U32(figures.live_isolates);
  out.U64(figures.isolates_replaced);
  out.U64(figures.isolates_retired);
  out.F64(figures.attempt_overhead_ms);
  out.F64(figures.new_context_ms);
  out.U64(figures.contexts_prepared);
  out.U64(figures.counts.compilations);
  out.U64(figures.counts.recycled_runs);
  out.U64(figures.counts.contexts_made_on_call);
}

void TakeFigures(MessageReader& in, PoolStats* figures) {
  figures->live_isolates = in.U32();
  figures->isolates_replaced = in.U64();
  figures->isolates_retired = in.U64();
  figures->attempt_overhead_ms = in.F64();
  figures->new_context_ms = in.F64();
  figures->contexts_prepared = in.U64();
  figures->counts.compilations = in.U64();
  figures->counts.recycled_runs = in.U64();
  figures->counts.contexts_made_on_call = in.U64();
}

}  // namespace

std::string EncodeSetup(const IsolateConfig& config,
                        const std::vector<std::string>& host_names,
                        bool keep_isolate) {
  MessageWriter out(MessageType::kSetup);
  out.U64(config.memory_limit_bytes);
  out.Bool(config.persistent_context);
  out.Bool(config.cache_scripts);
  out.F64(config.cpu_quota);
  out.U64(config.console_max_entries);
  out.U64(config.console_max_bytes);
  const SecurityProfile& profile = config.profile;
  out.Bool(profile.timers);
  out.Bool(profile.webassembly);
  out.Bool(profile.web_globals);
  out.U32(profile.max_timers);
  out.F64(profile.max_timer_delay_ms);
  PutNames(out, profile.allowed_globals);
  out.Bool(profile.custom_globals != nullptr);
  out.Text(profile.custom_globals != nullptr ? *profile.custom_globals : std::string());
  out.Bool(profile.modules != nullptr);
  if (profile.modules != nullptr) {
    PutStore(out, *profile.modules);
  }
  PutNames(out, host_names);
  out.Bool(keep_isolate);
  return out.Finish();
}

IsolateConfig DecodeSetup(MessageReader& in,
                          std::vector<std::string>* host_names,
                          bool* keep_isolate) {
  IsolateConfig config;
  config.memory_limit_bytes = in.U64();
  config.persistent_context = in.Bool();
  config.cache_scripts = in.Bool();
  config.cpu_quota = in.F64();
  config.console_max_entries = in.U64();
  config.console_max_bytes = in.U64();
  SecurityProfile& profile = config.profile;
  profile.timers = in.Bool();
  profile.webassembly = in.Bool();
  profile.web_globals = in.Bool();
  profile.max_timers = in.U32();
  profile.max_timer_delay_ms = in.F64();
  profile.allowed_globals = TakeNames(in);
  const bool has_globals = in.Bool();
  std::string globals(in.Text(ConversionLimits().max_bytes));
  if (has_globals) {
    profile.custom_globals = std::make_shared<const std::string>(std::move(globals));
  }
  if (in.Bool()) {
    profile.modules = TakeStore(in);
  }
  *host_names = TakeNames(in);
  *keep_isolate = in.Bool();
  in.ExpectEnd();
  return config;
}

std::string EncodeReady(const LockdownReport& report) {
  MessageWriter out(MessageType::kReady);
  out.I64(report.pid);
  out.Bool(report.seccomp);
  out.Bool(report.no_new_privs);
  PutNames(out, report.namespaces);
  return out.Finish();
}

LockdownReport DecodeReady(MessageReader& in) {
  LockdownReport report;
  report.pid = in.I64();
  report.seccomp = in.Bool();
  report.no_new_privs = in.Bool();
  report.namespaces = TakeNames(in);
  in.ExpectEnd();
  return report;
}

std::string EncodeFailure(const std::string& reason) {
  MessageWriter out(MessageType::kFailure);
  out.Text(reason);
  return out.Finish();
}

std::string DecodeFailure(MessageReader& in) {
  std::string reason = TakeUtf8(in, 4096);
  in.ExpectEnd();
  return reason;
}

namespace {

void PutScalar(MessageWriter& out, const HostScalar& scalar) {
  out.U8(static_cast<uint8_t>(scalar.type));
  out.I64(scalar.integer);
  out.F64(scalar.number);
  out.Text(scalar.text);
}

HostScalar TakeScalar(MessageReader& in) {
  HostScalar scalar;
  const uint8_t type = in.U8();
  if (type > static_cast<uint8_t>(HostScalar::Type::kLatin1)) {
    throw ChannelError("a host call's argument has an unknown type");
  }
  scalar.type = static_cast<HostScalar::Type>(type);
  scalar.integer = in.I64();
  scalar.number = in.F64();
  scalar.text = std::string(in.Text(ConversionLimits().max_bytes));
  return scalar;
}

}  // namespace

std::string EncodeHostCall(const ChannelHostCall& call) {
  MessageWriter out(MessageType::kHostCall);
  out.U64(call.call_id);
  out.U32(call.index);
  out.Bool(call.arguments.scalar);
  out.U32(static_cast<uint32_t>(call.arguments.scalars.size()));
  for (const HostScalar& scalar : call.arguments.scalars) {
    PutScalar(out, scalar);
  }
  out.Text(call.arguments.wire);
  return out.Finish();
}

ChannelHostCall DecodeHostCall(MessageReader& in, size_t functions) {
  ChannelHostCall call;
  call.call_id = in.U64();
  call.index = in.U32();
  if (call.index >= functions) {
    throw ChannelError("a host call names a function the sandbox does not have");
  }
  call.arguments.scalar = in.Bool();
  const uint32_t count = in.Count(25);
  for (uint32_t i = 0; i < count; ++i) {
    call.arguments.scalars.push_back(TakeScalar(in));
  }
  call.arguments.wire = std::string(in.Text(ConversionLimits().max_bytes));
  in.ExpectEnd();
  return call;
}

std::string EncodeHostReply(MessageType type, uint64_t call_id, const HostReply& reply) {
  MessageWriter out(type);
  out.U64(call_id);
  out.U8(static_cast<uint8_t>(reply.kind));
  out.Bool(reply.scalar);
  PutScalar(out, reply.value);
  out.Text(reply.wire);
  out.Bool(reply.type_error);
  out.Text(reply.name);
  out.Text(reply.message);
  out.U64(reply.error_id);
  return out.Finish();
}

HostReply DecodeHostReply(MessageReader& in, uint64_t* call_id) {
  HostReply reply;
  *call_id = in.U64();
  const uint8_t kind = in.U8();
  if (kind > static_cast<uint8_t>(HostReply::Kind::kAbort)) {
    throw ChannelError("a host reply has an unknown kind");
  }
  reply.kind = static_cast<HostReply::Kind>(kind);
  reply.scalar = in.Bool();
  reply.value = TakeScalar(in);
  reply.wire = std::string(in.Text(ConversionLimits().max_bytes));
  reply.type_error = in.Bool();
  reply.name = std::string(in.Text(ConversionLimits().max_bytes));
  reply.message = std::string(in.Text(ConversionLimits().max_bytes));
  reply.error_id = in.U64();
  in.ExpectEnd();
  return reply;
}

namespace {

constexpr uint32_t kMostKnownModules = 1 << 16;

// What a ledger knows of a code (core/isolate/code_ledger.h), when there is something.
void PutKnowledge(MessageWriter& out, const CodeLedger::Knowledge* knowledge) {
  out.Bool(knowledge != nullptr);
  if (knowledge == nullptr) {
    return;
  }
  out.U8(static_cast<uint8_t>(knowledge->speculation));
  out.Bool(knowledge->completed);
  out.Bool(knowledge->lost);
  out.U8(knowledge->misses_in_a_row);
  out.F64(knowledge->compiled_run_ms);
  out.F64(knowledge->code_ms);
  out.U32(static_cast<uint32_t>(knowledge->modules.size()));
  for (int module : knowledge->modules) {
    out.I64(module);
  }
}

// False when nothing came. A worker's knowledge reaches the pool's other workers: each field is
// checked (module indexes are checked again where modules are loaded).
bool TakeKnowledge(MessageReader& in, CodeLedger::Knowledge* knowledge) {
  if (!in.Bool()) {
    return false;
  }
  const uint8_t speculation = in.U8();
  if (speculation > static_cast<uint8_t>(Speculation::kRefused)) {
    throw ChannelError("what a worker learned of a code has an unknown state");
  }
  knowledge->speculation = static_cast<Speculation>(speculation);
  knowledge->completed = in.Bool();
  knowledge->lost = in.Bool();
  knowledge->misses_in_a_row = in.U8();
  const double compiled_run_ms = in.F64();
  const double code_ms = in.F64();
  for (double ms : {compiled_run_ms, code_ms}) {
    if (!(ms >= -1 && ms <= 1e9)) {
      throw ChannelError("what a worker learned of a code has a time out of range");
    }
  }
  knowledge->compiled_run_ms = static_cast<float>(compiled_run_ms);
  knowledge->code_ms = static_cast<float>(code_ms);
  const uint32_t modules = in.Count(8);
  if (modules > kMostKnownModules) {
    throw ChannelError("what a worker learned of a code names too many modules");
  }
  knowledge->modules.clear();
  knowledge->modules.reserve(modules);
  for (uint32_t i = 0; i < modules; ++i) {
    const int64_t module = in.I64();
    if (module < std::numeric_limits<int>::min() || module > std::numeric_limits<int>::max()) {
      throw ChannelError("what a worker learned of a code names a module out of range");
    }
    knowledge->modules.push_back(static_cast<int>(module));
  }
  return true;
}

}  // namespace

std::string EncodeRequest(const ExecutionRequest& request) {
  MessageWriter out(MessageType::kExecute);
  out.Text(std::string_view(request.code, request.code_length));
  out.Bool(request.context_wire != nullptr);
  out.Text(request.context_wire != nullptr ? *request.context_wire : std::string());
  out.Bool(request.context_keys != nullptr);
  PutNames(out,
           request.context_keys != nullptr ? *request.context_keys : std::vector<std::string>());
  out.F64(request.timeout_ms);
  out.Bool(request.raw_result);
  out.Bool(request.capture_console);
  out.Bool(request.measure_cpu);
  out.Bool(request.read_heap);
  PutKnowledge(out, request.known);
  return out.Finish();
}

void DecodeRequest(MessageReader& in, ReceivedRequest* received) {
  received->code = std::string(in.Text(kMaxCodeBytes));
  received->has_context = in.Bool();
  received->context_wire = std::string(in.Text(ConversionLimits().max_bytes));
  received->has_keys = in.Bool();
  received->context_keys = TakeNames(in);
  ExecutionRequest& request = received->request;
  request = ExecutionRequest();
  request.code = received->code.c_str();
  request.code_length = received->code.size();
  request.context_wire = received->has_context ? &received->context_wire : nullptr;
  request.context_keys = received->has_keys ? &received->context_keys : nullptr;
  request.timeout_ms = in.F64();
  request.raw_result = in.Bool();
  request.capture_console = in.Bool();
  request.measure_cpu = in.Bool();
  request.read_heap = in.Bool();
  received->has_known = TakeKnowledge(in, &received->known);
  request.known = received->has_known ? &received->known : nullptr;
  request.report_knowledge = true;
  in.ExpectEnd();
}

std::string EncodeOutcome(const Outcome& outcome, const PoolStats& figures) {
  MessageWriter out(MessageType::kOutcome);
  out.U8(static_cast<uint8_t>(outcome.kind));
  PutTree(out, outcome.value);
  out.Text(outcome.wire);
  out.Text(outcome.error.name);
  out.Text(outcome.error.message);
  out.Text(outcome.error.stack);
  out.I64(outcome.error.line);
  out.I64(outcome.error.column);
  out.Text(outcome.detail);
  out.U64(outcome.host_error);
  out.U32(static_cast<uint32_t>(outcome.console.size()));
  for (const ConsoleEntry& entry : outcome.console) {
    out.Text(entry.level);
    out.Text(entry.text);
  }
  out.Bool(outcome.console_truncated);
  out.F64(outcome.wall_ms);
  out.F64(outcome.cpu_ms);
  out.U64(outcome.heap_used);
  out.U64(outcome.heap_total);
  out.U64(outcome.external);
  PutFigures(out, figures);
  PutKnowledge(out, outcome.has_knowledge ? &outcome.knowledge : nullptr);
  return out.Finish();
}

void DecodeOutcome(MessageReader& in, Outcome* outcome, PoolStats* figures) {
  const ConversionLimits limits;
  const uint8_t kind = in.U8();
  if (kind > static_cast<uint8_t>(OutcomeKind::kUnsettledPromise)) {
    throw ChannelError("an outcome has an unknown kind");
  }
  outcome->kind = static_cast<OutcomeKind>(kind);
  TakeTree(in, &outcome->value);
  outcome->wire = std::string(in.Text(limits.max_bytes));
  // An error's texts are bounded by what a V8 string holds; the console by its own limits,
  // which the worker applied (the parent's bound is their largest setting).
  outcome->error.name = TakeUtf8(in, limits.max_bytes);
  outcome->error.message = TakeUtf8(in, limits.max_bytes);
  outcome->error.stack = TakeUtf8(in, limits.max_bytes);
  const int64_t line = in.I64();
  const int64_t column = in.I64();
  if (line < 0 || column < 0 || line > std::numeric_limits<int>::max() ||
      column > std::numeric_limits<int>::max()) {
    throw ChannelError("an error's position is out of range");
  }
  outcome->error.line = static_cast<int>(line);
  outcome->error.column = static_cast<int>(column);
  outcome->detail = TakeUtf8(in, limits.max_bytes);
  outcome->host_error = in.U64();
  const uint32_t entries = in.Count(16);
  outcome->console.clear();
  outcome->console.reserve(entries);
  for (uint32_t i = 0; i < entries; ++i) {
    ConsoleEntry entry;
    entry.level = TakeUtf8(in, kMaxNameBytes);
    entry.text = std::string(in.Text(limits.max_bytes));
    outcome->console.push_back(std::move(entry));
  }
  outcome->console_truncated = in.Bool();
  outcome->wall_ms = in.F64();
  outcome->cpu_ms = in.F64();
  outcome->heap_used = in.U64();
  outcome->heap_total = in.U64();
  outcome->external = in.U64();
  TakeFigures(in, figures);
  outcome->has_knowledge = TakeKnowledge(in, &outcome->knowledge);
  in.ExpectEnd();
}

}  // namespace ci
