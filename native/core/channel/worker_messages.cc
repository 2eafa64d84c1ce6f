#include "core/channel/worker_messages.h"

#include <limits>
#include <memory>
#include <unordered_map>

namespace ci {
namespace {

constexpr size_t kMaxCodeBytes = 64 << 20;
constexpr size_t kMaxNameBytes = 1 << 10;  // a global's name, a namespace, a console level
constexpr size_t kMaxNames = 1 << 16;

void PutNames(MessageWriter& out, const std::vector<std::string>& names) {
  out.U32(static_cast<uint32_t>(names.size()));
  for (const std::string& name : names) {
    out.Text(name);
  }
}

std::vector<std::string> TakeNames(MessageReader& in) {
  const uint32_t count = in.Count(8);
  if (count > kMaxNames) {
    throw ChannelError("a message lists too many names");
  }
  std::vector<std::string> names;
  names.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    names.emplace_back(in.Text(kMaxNameBytes));
  }
  return names;
}

// The length of the UTF-8 sequence at text[i], or 0 when it is not one (overlong, surrogate,
// past U+10FFFF or cut short).
size_t SequenceAt(std::string_view text, size_t i) {
  const auto lead = static_cast<uint8_t>(text[i]);
  if (lead < 0x80) {
    return 1;
  }
  size_t extra;
  uint32_t point;
  if (lead >= 0xC2 && lead <= 0xDF) {
    extra = 1;
    point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    extra = 2;
    point = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    extra = 3;
    point = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() - i <= extra) {
    return 0;
  }
  for (size_t k = 1; k <= extra; ++k) {
    const auto next = static_cast<uint8_t>(text[i + k]);
    if ((next & 0xC0) != 0x80) {
      return 0;
    }
    point = (point << 6) | (next & 0x3F);
  }
  const bool overlong = (extra == 2 && point < 0x800) || (extra == 3 && point < 0x10000);
  if (overlong || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF)) {
    return 0;
  }
  return extra + 1;
}

// Texts the bindings hand to Python as str: a byte that is not UTF-8 becomes U+FFFD, as the
// bindings' own decoding does, and never fails there.
std::string TakeUtf8(MessageReader& in, size_t max_bytes) {
  std::string_view text = in.Text(max_bytes);
  std::string repaired;
  repaired.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t length = SequenceAt(text, i);
    if (length == 0) {
      repaired += "\xEF\xBF\xBD";
      ++i;
    } else {
      repaired.append(text.data() + i, length);
      i += length;
    }
  }
  return repaired;
}

bool IsContainer(ValueKind kind) {
  return kind == ValueKind::kArray || kind == ValueKind::kObject || kind == ValueKind::kMap ||
         kind == ValueKind::kSet;
}

void PutTree(MessageWriter& out, const ValueTree& tree) {
  out.U32(static_cast<uint32_t>(tree.nodes.size()));
  for (const ValueNode& node : tree.nodes) {
    out.U8(static_cast<uint8_t>(node.kind));
    out.Bool(node.one_byte);
    out.I64(node.integer);
    out.F64(node.number);
    out.Text(node.text);
    out.U32(node.first_child);
    out.U32(node.child_count);
    out.U32(node.parent);
  }
}

// The shape TreeToPy and ValueTree::PathOf rely on: every container's children are a run of
// later nodes inside the tree, every node but the root is the child of exactly one container
// and names it as its parent, references point at containers, and texts fit their kinds.
void CheckTree(const ValueTree& tree) {
  const auto count = static_cast<uint32_t>(tree.nodes.size());
  constexpr uint32_t kUnowned = std::numeric_limits<uint32_t>::max();
  std::vector<uint32_t> owner(count, kUnowned);
  for (uint32_t i = 0; i < count; ++i) {
    const ValueNode& node = tree.nodes[i];
    if (IsContainer(node.kind)) {
      const uint64_t end = uint64_t{node.first_child} + node.child_count;
      if (node.child_count > 0 && (node.first_child <= i || end > count)) {
        throw ChannelError("a value's children lie outside it");
      }
      if ((node.kind == ValueKind::kObject || node.kind == ValueKind::kMap) &&
          node.child_count % 2 != 0) {
        throw ChannelError("a value's keys and values do not pair");
      }
      for (uint32_t child = node.first_child; child < end; ++child) {
        if (owner[child] != kUnowned) {
          throw ChannelError("a value is the child of two containers");
        }
        owner[child] = i;
      }
    } else if (node.child_count != 0) {
      throw ChannelError("a value that holds nothing has children");
    }
    if (node.kind == ValueKind::kRef &&
        (node.integer < 0 || node.integer >= count ||
         !IsContainer(tree.nodes[static_cast<size_t>(node.integer)].kind))) {
      throw ChannelError("a value refers to something that is not a container");
    }
    if (node.kind == ValueKind::kBigInt &&
        (node.text.empty() ||
         node.text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)) {
      throw ChannelError("a BigInt's digits are not hexadecimal");
    }
    if (node.kind == ValueKind::kString && !node.one_byte && node.text.size() % 2 != 0) {
      throw ChannelError("a two-byte string has an odd number of bytes");
    }
  }
  if (count > 0 && tree.nodes[0].kind == ValueKind::kRef) {
    throw ChannelError("a value is only a reference");
  }
  for (uint32_t i = 1; i < count; ++i) {
    if (owner[i] == kUnowned || tree.nodes[i].parent != owner[i]) {
      throw ChannelError("a value's parent does not hold it");
    }
  }
}

void TakeTree(MessageReader& in, ValueTree* tree) {
  const ConversionLimits limits;
  const uint32_t count = in.Count(38);
  if (count > limits.max_nodes) {
    throw ChannelError("a value has more nodes than a conversion makes");
  }
  tree->nodes.resize(count);
  uint64_t bytes = 0;
  for (ValueNode& node : tree->nodes) {
    const uint8_t kind = in.U8();
    if (kind > static_cast<uint8_t>(ValueKind::kRef)) {
      throw ChannelError("a value has an unknown kind");
    }
    node.kind = static_cast<ValueKind>(kind);
    node.one_byte = in.Bool();
    node.integer = in.I64();
    node.number = in.F64();
    node.text = std::string(in.Text(limits.max_bytes - bytes));
    bytes += node.text.size();
    node.first_child = in.U32();
    node.child_count = in.U32();
    node.parent = in.U32();
  }
  CheckTree(*tree);
}

void PutMap(MessageWriter& out, const std::unordered_map<std::string, std::string>& map) {
  out.U32(static_cast<uint32_t>(map.size()));
  for (const auto& [key, value] : map) {
    out.Text(key);
    out.Text(value);
  }
}

// A module store, through the calls that built it (the worker trusts its parent, but still
// reads within bounds).
void PutStore(MessageWriter& out, const ModuleStore& store) {
  out.U32(static_cast<uint32_t>(store.packages().size()));
  for (const ModulePackage& package : store.packages()) {
    out.Text(package.name);
    out.Text(package.root);
    out.Bool(package.has_exports);
    PutMap(out, package.exports);
    out.U32(static_cast<uint32_t>(package.dependencies.size()));
    for (const auto& [name, index] : package.dependencies) {
      out.Text(name);
      out.I64(index);
    }
  }
  out.U32(static_cast<uint32_t>(store.files().size()));
  for (const ModuleFile& file : store.files()) {
    out.Text(file.path);
    out.Text(file.source);
    out.I64(file.package);
    out.Bool(file.json);
  }
  PutMap(out, store.directories());
  out.U32(static_cast<uint32_t>(store.allowed_names().size()));
  for (const std::string& name : store.allowed_names()) {  // in the order they were allowed
    out.Text(name);
    out.I64(store.allowed().at(name));
  }
  PutNames(out, store.builtins());
}

int TakePackageIndex(MessageReader& in, size_t packages) {
  const int64_t index = in.I64();
  if (index < -1 || index >= static_cast<int64_t>(packages)) {
    throw ChannelError("a module names a package that is not there");
  }
  return static_cast<int>(index);
}

std::shared_ptr<const ModuleStore> TakeStore(MessageReader& in) {
  constexpr size_t kMaxPath = 4096;
  constexpr size_t kMaxSource = 64 << 20;
  auto store = std::make_shared<ModuleStore>();
  const uint32_t packages = in.Count(8);
  for (uint32_t i = 0; i < packages; ++i) {
    ModulePackage package;
    package.name = std::string(in.Text(kMaxPath));
    package.root = std::string(in.Text(kMaxPath));
    package.has_exports = in.Bool();
    for (uint32_t k = 0, count = in.Count(16); k < count; ++k) {
      std::string key(in.Text(kMaxPath));
      package.exports[key] = std::string(in.Text(kMaxPath));
    }
    for (uint32_t k = 0, count = in.Count(16); k < count; ++k) {
      std::string name(in.Text(kMaxPath));
      package.dependencies[name] = TakePackageIndex(in, packages);
    }
    store->AddPackage(std::move(package));
  }
  for (uint32_t i = 0, count = in.Count(16); i < count; ++i) {
    ModuleFile file;
    file.path = std::string(in.Text(kMaxPath));
    file.source = std::string(in.Text(kMaxSource));
    file.package = TakePackageIndex(in, packages);
    file.json = in.Bool();
    store->AddFile(std::move(file));
  }
  for (uint32_t i = 0, count = in.Count(16); i < count; ++i) {
    std::string path(in.Text(kMaxPath));
    store->AddDirectory(std::move(path), std::string(in.Text(kMaxPath)));
  }
  for (uint32_t i = 0, count = in.Count(16); i < count; ++i) {
    std::string name(in.Text(kMaxPath));
    store->Allow(std::move(name), TakePackageIndex(in, packages));
  }
  for (std::string& name : TakeNames(in)) {
    store->AddBuiltin(std::move(name));
  }
  return store;
}

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
  in.ExpectEnd();
}

}  // namespace ci
