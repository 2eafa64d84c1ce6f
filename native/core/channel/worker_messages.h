#ifndef CODE_INTERPRETER_CORE_CHANNEL_WORKER_MESSAGES_H_
#define CODE_INTERPRETER_CORE_CHANNEL_WORKER_MESSAGES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/channel/message.h"
#include "core/isolate/isolate_holder.h"
#include "core/pool/isolate_pool.h"
#include "core/run/outcome.h"

namespace ci {

/** What a worker applied to itself before running any JavaScript (core/process/lockdown). */
struct LockdownReport {
  int64_t pid = 0;
  bool seccomp = false;
  bool no_new_privs = false;
  std::vector<std::string> namespaces;  // of "user", "network", "mount": those it entered
};

/** An execution as the worker receives it: owns what ExecutionRequest points at. */
struct ReceivedRequest {
  std::string code;
  bool has_context = false;
  std::string context_wire;
  bool has_keys = false;
  std::vector<std::string> context_keys;
  bool has_known = false;
  CodeLedger::Knowledge known;
  ExecutionRequest request;  // points into the fields above

  ReceivedRequest() = default;
  ReceivedRequest(const ReceivedRequest&) = delete;
  ReceivedRequest& operator=(const ReceivedRequest&) = delete;
};

// Parent -> worker: the isolate's configuration, modules included; host functions by name.
// `keep_isolate`: the worker keeps its isolate between executions (false: a new one each).
// `host_names`: the sandbox's host functions, which the worker calls back through the channel.
std::string EncodeSetup(const IsolateConfig& config,
                        const std::vector<std::string>& host_names,
                        bool keep_isolate);
IsolateConfig DecodeSetup(MessageReader& reader,
                          std::vector<std::string>* host_names,
                          bool* keep_isolate);

// Worker -> parent.
std::string EncodeReady(const LockdownReport& report);
LockdownReport DecodeReady(MessageReader& reader);
std::string EncodeFailure(const std::string& reason);
std::string DecodeFailure(MessageReader& reader);

// Parent -> worker; the token stays with the parent.
std::string EncodeRequest(const ExecutionRequest& request);
void DecodeRequest(MessageReader& reader, ReceivedRequest* received);

/** A host function call as it crosses: which call, which function, its arguments. */
struct ChannelHostCall {
  uint64_t call_id = 0;
  uint32_t index = 0;
  HostArguments arguments;
};

// Worker -> parent. Decoding checks `index` against the `functions` the sandbox has.
std::string EncodeHostCall(const ChannelHostCall& call);
ChannelHostCall DecodeHostCall(MessageReader& reader, size_t functions);
// Parent -> worker: kHostReply (the call waits for it) or kHostCompletion (a pending call's).
std::string EncodeHostReply(MessageType type, uint64_t call_id, const HostReply& reply);
HostReply DecodeHostReply(MessageReader& reader, uint64_t* call_id);

// Worker -> parent: the outcome and the worker's pool figures after it. Decoding checks every
// field against the bounds a real outcome keeps (a value tree is checked whole, so that the
// bindings can walk it as they walk one made in this process).
std::string EncodeOutcome(const Outcome& outcome, const PoolStats& figures);
void DecodeOutcome(MessageReader& reader, Outcome* outcome, PoolStats* figures);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_CHANNEL_WORKER_MESSAGES_H_
