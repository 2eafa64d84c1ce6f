#include "core/runner.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/cpu_throttle.h"
#include "core/js_to_tree.h"
#include "core/side_effect_free.h"
#include "core/watchdog.h"
#include "core/wire.h"

namespace ci {
namespace {

using Clock = std::chrono::steady_clock;

// A run shorter than this cannot have allocated past any limit; longer ones are checked.
constexpr auto kLongRun = std::chrono::milliseconds(1);

// How long a speculative attempt may run before it gives way to a new context: a few times
// what the script took on the compiled path (the mode checks every allocation and store), and
// at least 8 ms (so at most 30 ms). Scripts that took over 10 ms are not tried: a new context
// adds little to them. An attempt is only made when the execution's own time limit is four
// times its budget, and a declined attempt is not charged to that limit: the deadline of the
// run in a new context moves by the time the attempt took.
constexpr double kMinSpeculationMs = 8;
constexpr double kSpeculationFactor = 3;
constexpr double kMaxSpeculatedRunMs = 10;
constexpr int kMaxMissesInARow = 3;

// The name scripts get in stack traces: the same on every path, and never a host path.
constexpr const char* kSourceName = "<sandbox>";

/** How a speculative run on the pristine context went. */
enum class Recycling {
  kKept,      // done, and V8 certified the context untouched: it serves the next run too
  kSpent,     // done, but script may have run unchecked afterwards: the context is dropped
  kDeclined,  // not done (side effect, exception, budget): run it again in a fresh context
};

// Set by the promise hook while a speculative run is in progress (on the thread running it).
thread_local bool promise_seen = false;

void NotePromise(v8::PromiseHookType, v8::Local<v8::Promise>, v8::Local<v8::Value>) {
  promise_seen = true;
}

std::string ToUtf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  if (value.IsEmpty()) {
    return std::string();
  }
  v8::String::Utf8Value utf8(isolate, value);
  return *utf8 ? std::string(*utf8, utf8.length()) : std::string();
}

v8::Local<v8::String> NewString(v8::Isolate* isolate, const char* text) {
  return v8::String::NewFromUtf8(isolate, text, v8::NewStringType::kInternalized).ToLocalChecked();
}

bool IsReservedWord(std::string_view word) {
  static constexpr const char* kReserved[] = {
      "await",     "break",   "case",       "catch",     "class",     "const",  "continue",
      "debugger",  "default", "delete",     "do",        "else",      "enum",   "export",
      "extends",   "false",   "finally",    "for",       "function",  "if",     "implements",
      "import",    "in",      "instanceof", "interface", "let",       "new",    "null",
      "package",   "private", "protected",  "public",    "return",    "static", "super",
      "switch",    "this",    "throw",      "true",      "try",       "typeof", "var",
      "void",      "while",   "with",       "yield",     "undefined", "NaN",    "Infinity",
      "arguments", "eval"};
  for (const char* reserved : kReserved) {
    if (word == reserved) {
      return true;
    }
  }
  return false;
}

bool MayDeclareLexically(std::string_view code) {
  return code.find("let") != std::string_view::npos ||
         code.find("const") != std::string_view::npos ||
         code.find("class") != std::string_view::npos;
}

bool IsPlainIdentifier(std::string_view word) {
  if (word.empty() || (word[0] >= '0' && word[0] <= '9')) {
    return false;
  }
  for (char c : word) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '$';
    if (!ok) {
      return false;
    }
  }
  return !IsReservedWord(word);
}

/** The steps of one execution; each returns false when the execution cannot go on. */
class Execution {
 public:
  Execution(IsolateHolder& holder, const ExecutionRequest& request, Outcome* outcome)
      : holder_(holder),
        isolate_(holder.isolate()),
        request_(request),
        outcome_(outcome),
        try_catch_(isolate_) {}

  void Run(v8::Local<v8::Context> context, v8::MicrotaskQueue* microtasks) {
    context_ = context;
    microtasks_ = microtasks;
    v8::Local<v8::Value> result;
    if (InjectContext() && CompileAndRun(&result) && Settle(&result)) {
      Convert(result);
    }
    if (!Stopped()) {
      // Work a failed run left queued must not surface in the next run of a persistent context.
      microtasks_->PerformCheckpoint(isolate_);
    }
  }

  /**
   * The fresh-context mode without a new context: V8 runs the script in the kept pristine
   * context in its side-effect-free mode, which stops it at the first write to anything that
   * existed before it began (globals, builtins, prototypes, custom globals, script-scope
   * bindings). A run that completes that way is indistinguishable from one in a new context,
   * and leaves the context as it found it. Anything else is declined and run again in a new
   * context: V8 refused a side effect, the script threw, or it outran its budget.
   */
  Recycling RunSpeculatively(const ContextLease& lease,
                             CachedScript* cached,
                             Clock::time_point deadline,
                             Clock::duration budget,
                             uint64_t execution_id) {
    context_ = lease.context;
    microtasks_ = lease.microtasks;
    if (request_.context_wire != nullptr) {
      v8::Maybe<bool> taken =
          context_->Global()->HasOwnProperty(context_, NewString(isolate_, "context"));
      if (taken.FromMaybe(true) || !InstallLazyContext()) {
        cached->speculation = Speculation::kRefused;  // a custom global named `context`
        try_catch_.Reset();
        *outcome_ = Outcome();
        return Recycling::kDeclined;
      }
    }
    v8::Local<v8::String> source;
    if (!SpeculativeSource(cached, &source)) {
      try_catch_.Reset();
      return Recycling::kDeclined;
    }
    const bool first_attempt = cached->speculation == Speculation::kUntried;
    holder_.CountSpeculation(first_attempt);
    const Clock::time_point attempt_started = Clock::now();
    promise_seen = false;
    isolate_->SetPromiseHook(NotePromise);
    holder_.BeginSpeculation(std::min(deadline, Clock::now() + budget), execution_id);
    v8::MaybeLocal<v8::Value> completion = EvaluateWithoutSideEffects(isolate_, source);
    const bool expired = holder_.EndSpeculation(deadline, execution_id);
    isolate_->SetPromiseHook(nullptr);
    if (holder_.stopping()) {
      return Recycling::kSpent;  // timed out, killed or out of memory: that is the outcome
    }
    v8::Local<v8::Value> result;
    if (expired || !completion.ToLocal(&result)) {
      // A side effect, an exception or the budget (often a collection or a preemption that
      // fell in the attempt) may depend on the data or the moment: a script is refused only
      // after several attempts in a row that did not keep the context.
      CountMiss(cached);
      try_catch_.Reset();
      return Recycling::kDeclined;
    }
    cached->speculation = Speculation::kRecyclable;
    if (!promise_seen && ConvertWithoutScript(result) && RemoveInjectedGlobals()) {
      // The mode checks every call and allocation: call-heavy code can take longer this way
      // than in a new context. Such an attempt counts as a miss (a first attempt also
      // compiles, so it is not judged).
      if (!first_attempt &&
          std::chrono::duration<double, std::milli>(Clock::now() - attempt_started).count() >
              cached->compiled_run_ms) {
        CountMiss(cached);
      } else {
        cached->misses_in_a_row = 0;
      }
      return Recycling::kKept;
    }
    CountMiss(cached);  // a run that ends here costs a new pristine context next time
    // Settling and converting may run script (reactions, getters, toJSON) outside the check.
    if (Settle(&result)) {
      Convert(result);
    }
    if (!Stopped()) {
      microtasks_->PerformCheckpoint(isolate_);
    }
    return Recycling::kSpent;
  }

  // The entry of the script the compiled path ran, when the script cache holds it.
  CachedScript* script() const { return script_; }

 private:
  // What a speculative attempt evaluates, made once per cache entry. A function body becomes a
  // call of the same function, its prefix on the first line so line numbers stay the caller's
  // (as they are on the compiled path); a sourceURL names it as the compiled script is named.
  bool SpeculativeSource(CachedScript* cached, v8::Local<v8::String>* source) {
    if (!cached->speculative_source.IsEmpty()) {
      *source = cached->speculative_source.Get(isolate_);
      return true;
    }
    std::string text;
    if (cached->form == CodeForm::kFunctionBody) {
      text = "(function () {";
      text.append(request_.code, request_.code_length).append("\n})()");
    } else {
      text.assign(request_.code, request_.code_length);
    }
    text.append("\n//# sourceURL=").append(kSourceName);
    if (!v8::String::NewFromUtf8(isolate_, text.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(text.size()))
             .ToLocal(source)) {
      return false;
    }
    cached->speculative_source.Reset(isolate_, *source);
    return true;
  }

  static void CountMiss(CachedScript* cached) {
    if (++cached->misses_in_a_row >= kMaxMissesInARow) {
      cached->speculation = Speculation::kRefused;
    }
  }

  /** The per-call context of a speculative attempt, built when the script first reads it. */
  struct LazyContext {
    const std::string* wire = nullptr;
    v8::Global<v8::Value> whole;

    bool Whole(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Value>* out) {
      if (!whole.IsEmpty()) {
        *out = whole.Get(isolate);
        return true;
      }
      if (!DeserializeValue(context, *wire, out)) {
        if (!isolate->IsExecutionTerminating()) {
          // The attempt is declined, and the compiled path reports the failure.
          isolate->ThrowException(v8::Exception::Error(NewString(isolate, "context")));
        }
        return false;
      }
      whole.Reset(isolate, *out);
      return true;
    }
  };

  static LazyContext* LazyFrom(const v8::PropertyCallbackInfo<v8::Value>& info) {
    return static_cast<LazyContext*>(info.Data().As<v8::External>()->Value());
  }

  static void ReadWholeContext(v8::Local<v8::Name>,
                               const v8::PropertyCallbackInfo<v8::Value>& info) {
    v8::Isolate* isolate = info.GetIsolate();
    v8::Local<v8::Value> whole;
    if (LazyFrom(info)->Whole(isolate, isolate->GetCurrentContext(), &whole)) {
      info.GetReturnValue().Set(whole);
    }
  }

  static void ReadContextMember(v8::Local<v8::Name> name,
                                const v8::PropertyCallbackInfo<v8::Value>& info) {
    v8::Isolate* isolate = info.GetIsolate();
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    v8::Local<v8::Value> whole;
    v8::Local<v8::Value> member;
    if (LazyFrom(info)->Whole(isolate, context, &whole) &&
        whole.As<v8::Object>()->Get(context, name).ToLocal(&member)) {
      info.GetReturnValue().Set(member);
    }
  }

  // The same globals InjectContext() makes (`context`, and each top-level key that is a plain
  // identifier shadowing nothing, in the same order), as lazy data properties: read first
  // during the attempt, their values are the attempt's own objects, which V8 lets it change.
  // Realized, each is an ordinary data property; all are deleted before the context is kept.
  bool InstallLazyContext() {
    v8::Local<v8::Object> global = context_->Global();
    lazy_.wire = request_.context_wire;
    v8::Local<v8::External> data = v8::External::New(isolate_, &lazy_);
    auto install = [&](v8::Local<v8::Name> name, v8::AccessorNameGetterCallback getter) {
      if (!global
               ->SetLazyDataProperty(context_, name, getter, data, v8::None,
                                     v8::SideEffectType::kHasNoSideEffect,
                                     v8::SideEffectType::kHasSideEffect)
               .FromMaybe(false)) {
        return false;
      }
      injected_.push_back(name);
      return true;
    };
    if (!install(NewString(isolate_, "context"), ReadWholeContext)) {
      return false;
    }
    for (const std::string& key : *request_.context_keys) {
      if (!IsPlainIdentifier(key)) {
        continue;
      }
      v8::Local<v8::String> name;
      if (!v8::String::NewFromUtf8(isolate_, key.data(), v8::NewStringType::kInternalized,
                                   static_cast<int>(key.size()))
               .ToLocal(&name)) {
        return false;
      }
      v8::Maybe<bool> exists = global->Has(context_, name);
      if (exists.IsNothing()) {
        return false;
      }
      if (!exists.FromJust() && !install(name, ReadContextMember)) {
        return false;
      }
    }
    return true;
  }

  bool RemoveInjectedGlobals() {
    v8::Local<v8::Object> global = context_->Global();
    for (v8::Local<v8::Name> name : injected_) {
      if (!global->Delete(context_, name).FromMaybe(false)) {
        return false;
      }
    }
    injected_.clear();
    return true;
  }

  // Converts `result` with V8 forbidding any call into script (a getter, toJSON or proxy trap
  // would make one). False, with the outcome cleared, when a call was needed: only then can
  // the conversion have changed the context.
  bool ConvertWithoutScript(v8::Local<v8::Value> result) {
    if (!result->IsObject()) {
      Convert(result);  // primitives convert without running any script
      return true;
    }
    {
      v8::Isolate::DisallowJavascriptExecutionScope no_script(
          isolate_, v8::Isolate::DisallowJavascriptExecutionScope::THROW_ON_FAILURE);
      v8::TryCatch attempt(isolate_);
      Convert(result);
      if (!attempt.HasCaught() && outcome_->kind == OutcomeKind::kValue) {
        return true;
      }
    }
    *outcome_ = Outcome();
    return false;
  }

  // The holder's reason too: a nested TryCatch (in the serializer) can swallow a termination.
  bool Stopped() {
    return try_catch_.HasTerminated() || isolate_->IsExecutionTerminating() || holder_.stopping();
  }

  // Records the pending JS exception (if any) as the outcome.
  bool FailWithException() {
    if (Stopped()) {
      return false;  // the termination reason decides the outcome
    }
    if (try_catch_.HasCaught()) {
      ReadError(try_catch_.Exception(), try_catch_.Message());
    }
    outcome_->kind = OutcomeKind::kJsError;
    return false;
  }

  void ReadError(v8::Local<v8::Value> exception, v8::Local<v8::Message> message) {
    // Reading name/message may run getters; a nested TryCatch keeps their failures here.
    v8::TryCatch inner(isolate_);
    JsErrorInfo& error = outcome_->error;
    error.name = "Error";
    if (exception->IsObject() && !exception->IsProxy()) {
      v8::Local<v8::Object> object = exception.As<v8::Object>();
      v8::Local<v8::Value> name;
      v8::Local<v8::Value> text;
      v8::Local<v8::Value> stack;
      if (object->Get(context_, NewString(isolate_, "name")).ToLocal(&name) && name->IsString()) {
        error.name = ToUtf8(isolate_, name);
      }
      if (object->Get(context_, NewString(isolate_, "message")).ToLocal(&text) &&
          !text->IsUndefined()) {
        error.message = ToUtf8(isolate_, text);
      }
      if (object->Get(context_, NewString(isolate_, "stack")).ToLocal(&stack) &&
          stack->IsString()) {
        error.stack = ToUtf8(isolate_, stack);
      }
    } else if (!exception->IsSymbol()) {
      error.message = ToUtf8(isolate_, exception);
    }
    if (message.IsEmpty()) {
      message = v8::Exception::CreateMessage(isolate_, exception);
    }
    if (!message.IsEmpty()) {
      error.line = message->GetLineNumber(context_).FromMaybe(0);
      int column = message->GetStartColumn(context_).FromMaybe(-1);
      error.column = column >= 0 ? column + 1 : 0;
      if (error.stack.empty()) {
        error.stack = error.name + ": " + error.message;
      }
    }
  }

  bool InjectContext() {
    if (request_.context_wire == nullptr) {
      return true;
    }
    v8::Local<v8::Value> value;
    if (!DeserializeValue(context_, *request_.context_wire, &value)) {
      if (Stopped()) {
        return false;
      }
      outcome_->kind = OutcomeKind::kConversionError;
      outcome_->detail = "the context could not be built in JavaScript";
      return false;
    }
    v8::Local<v8::Object> global = context_->Global();
    v8::Local<v8::String> context_name = NewString(isolate_, "context");
    if (global->Set(context_, context_name, value).IsNothing()) {
      return FailWithException();
    }
    injected_.push_back(context_name);
    if (!value->IsObject() || value->IsArray()) {
      return true;
    }
    // Each key that is a plain identifier and shadows nothing is also a global of its own.
    v8::Local<v8::Object> object = value.As<v8::Object>();
    v8::Local<v8::Array> keys;
    if (!object->GetOwnPropertyNames(context_).ToLocal(&keys)) {
      return FailWithException();
    }
    for (uint32_t i = 0; i < keys->Length(); ++i) {
      v8::Local<v8::Value> key;
      if (!keys->Get(context_, i).ToLocal(&key) || !key->IsString()) {
        continue;
      }
      v8::String::Utf8Value name(isolate_, key);
      if (*name == nullptr || !IsPlainIdentifier(std::string_view(*name, name.length()))) {
        continue;
      }
      v8::Maybe<bool> exists = global->Has(context_, key);
      if (exists.IsNothing()) {
        return FailWithException();
      }
      v8::Local<v8::Value> property;
      if (exists.FromJust() || !object->Get(context_, key).ToLocal(&property)) {
        continue;
      }
      if (global->CreateDataProperty(context_, key.As<v8::Name>(), property).IsNothing()) {
        return FailWithException();
      }
      injected_.push_back(key.As<v8::Name>());
    }
    return true;
  }

  bool Compile(CodeForm form, v8::Local<v8::UnboundScript>* script) {
    std::string_view code(request_.code, request_.code_length);
    std::string wrapped;
    int line_offset = 0;
    if (form != CodeForm::kScript) {
      // The prefix sits on a line of its own and the origin starts at line -1, so reported
      // line and column numbers are the caller's.
      wrapped = form == CodeForm::kFunctionBody ? "(function () {\n" : "(async function () {\n";
      wrapped.append(code);
      wrapped.append("\n})");
      code = wrapped;
      line_offset = -1;
    }
    v8::Local<v8::String> source_text;
    if (!v8::String::NewFromUtf8(isolate_, code.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(code.size()))
             .ToLocal(&source_text)) {
      return FailWithException();
    }
    v8::ScriptOrigin origin(isolate_, NewString(isolate_, kSourceName), line_offset);
    v8::ScriptCompiler::Source source(source_text, origin);
    holder_.CountCompilation();
    return v8::ScriptCompiler::CompileUnboundScript(isolate_, &source).ToLocal(script);
  }

  // Which wrapped form to try after a script failed with `message`, if any.
  static bool RetryForm(const std::string& message, CodeForm tried, CodeForm* next) {
    bool illegal_return = message.find("Illegal return") != std::string::npos;
    bool await_outside = message.find("await is only valid") != std::string::npos ||
                         message.find("Unexpected reserved word") != std::string::npos;
    if (tried == CodeForm::kScript && illegal_return) {
      *next = CodeForm::kFunctionBody;
      return true;
    }
    if (tried != CodeForm::kAsyncFunctionBody && await_outside) {
      *next = CodeForm::kAsyncFunctionBody;
      return true;
    }
    return false;
  }

  bool CompileAndRun(v8::Local<v8::Value>* result) {
    std::string_view code(request_.code, request_.code_length);
    v8::Local<v8::UnboundScript> unbound;
    CodeForm form = CodeForm::kScript;
    ScriptCache& scripts = holder_.scripts();
    CachedScript* cached = holder_.config().cache_scripts ? scripts.Find(code) : nullptr;
    if (cached != nullptr) {
      unbound = cached->script.Get(isolate_);
      form = cached->form;
    } else {
      while (!Compile(form, &unbound)) {
        if (Stopped() || !try_catch_.HasCaught()) {
          return FailWithException();
        }
        std::string message = ToUtf8(isolate_, try_catch_.Message()->Get());
        CodeForm next;
        if (!RetryForm(message, form, &next)) {
          return FailWithException();
        }
        try_catch_.Reset();
        form = next;
      }
      if (holder_.config().cache_scripts) {
        cached = scripts.Insert(isolate_, code, unbound, form);
      }
    }
    script_ = cached;
    // In the persistent context, what this code was bound to last time is reused. Not for a
    // script that may declare top-level let/const/class: V8 10.2 crashes re-running such a
    // Script object (instead of reporting the redeclaration). The test is deliberately crude:
    // any occurrence of those words, even in a string, rules reuse out.
    const bool reuse = holder_.config().persistent_context && cached != nullptr &&
                       (form != CodeForm::kScript || !MayDeclareLexically(code));
    const bool bound_here = reuse && !cached->bound_context.IsEmpty() &&
                            cached->bound_context.Get(isolate_) == context_;
    if (form == CodeForm::kScript) {
      v8::Local<v8::Script> script =
          bound_here ? cached->bound_script.Get(isolate_) : unbound->BindToCurrentContext();
      if (reuse && !bound_here) {
        cached->bound_context.Reset(isolate_, context_);
        cached->bound_script.Reset(isolate_, script);
      }
      if (!script->Run(context_).ToLocal(result)) {
        return FailWithException();
      }
      return true;
    }
    v8::Local<v8::Function> function;
    if (bound_here) {
      function = cached->bound_function.Get(isolate_);
    } else {
      v8::Local<v8::Value> completion;
      if (!unbound->BindToCurrentContext()->Run(context_).ToLocal(&completion)) {
        return FailWithException();
      }
      function = completion.As<v8::Function>();
      if (reuse) {
        cached->bound_context.Reset(isolate_, context_);
        cached->bound_function.Reset(isolate_, function);
      }
    }
    if (!function->Call(context_, v8::Undefined(isolate_), 0, nullptr).ToLocal(result)) {
      return FailWithException();
    }
    return true;
  }

  // Drains this context's microtasks and, for a promise result, takes its settled value.
  bool Settle(v8::Local<v8::Value>* result) {
    microtasks_->PerformCheckpoint(isolate_);
    if (Stopped()) {
      return false;
    }
    TimerQueue& timers = holder_.timers();
    if (!timers.empty()) {
      v8::Local<v8::Value> awaited = *result;
      auto settled = [&] {
        return awaited->IsPromise() && awaited.As<v8::Promise>()->State() != v8::Promise::kPending;
      };
      if (!timers.Run(isolate_, context_, microtasks_, settled,
                      [this] { return holder_.stopping(); })) {
        return FailWithException();
      }
    }
    if (!(*result)->IsPromise()) {
      return true;
    }
    v8::Local<v8::Promise> promise = result->As<v8::Promise>();
    switch (promise->State()) {
      case v8::Promise::kFulfilled:
        *result = promise->Result();
        return true;
      case v8::Promise::kRejected:
        ReadError(promise->Result(), v8::Local<v8::Message>());
        outcome_->kind = OutcomeKind::kJsError;
        return false;
      case v8::Promise::kPending:
        outcome_->kind = OutcomeKind::kUnsettledPromise;
        return false;
    }
    return false;
  }

  void Convert(v8::Local<v8::Value> result) {
    if (request_.raw_result) {
      // V8's own serializer first; what it refuses (functions, symbols, proxies, too deep)
      // goes through the walker, which converts proxies and names the path of the rest.
      if (SerializeValue(context_, result, &outcome_->wire)) {
        outcome_->kind = OutcomeKind::kValue;
        return;
      }
      outcome_->wire.clear();
      if (Stopped()) {
        return;
      }
      std::string problem;
      switch (JsToTree(context_, result, ConversionLimits(), &outcome_->value, &problem)) {
        case ConversionStatus::kOk:
          outcome_->kind = OutcomeKind::kValue;
          return;
        case ConversionStatus::kThrew:
          FailWithException();
          return;
        case ConversionStatus::kUnsupported:
          outcome_->kind = OutcomeKind::kConversionError;
          outcome_->detail = problem;
          return;
      }
    }
    // The seed's stringification: strings as they are, objects as JSON, the rest as String(v).
    v8::Local<v8::String> text;
    if (result->IsString()) {
      text = result.As<v8::String>();
    } else if (result->IsObject() && !result->IsFunction()) {
      v8::Local<v8::String> json;
      if (!v8::JSON::Stringify(context_, result).ToLocal(&json)) {
        if (Stopped()) {
          return;
        }
        outcome_->kind = OutcomeKind::kConversionError;
        outcome_->detail =
            "could not turn the result into JSON: " + ToUtf8(isolate_, try_catch_.Exception());
        return;
      }
      text = json;
    } else if (result->IsSymbol()) {
      text = result->ToDetailString(context_).FromMaybe(v8::Local<v8::String>());
    } else if (!result->ToString(context_).ToLocal(&text)) {
      FailWithException();
      return;
    }
    if (text.IsEmpty()) {
      FailWithException();
      return;
    }
    std::string problem;
    if (JsToTree(context_, text, ConversionLimits(), &outcome_->value, &problem) !=
        ConversionStatus::kOk) {
      outcome_->kind = OutcomeKind::kConversionError;
      outcome_->detail = problem;
      return;
    }
    outcome_->kind = OutcomeKind::kValue;
  }

  IsolateHolder& holder_;
  v8::Isolate* isolate_;
  const ExecutionRequest& request_;
  Outcome* outcome_;
  v8::TryCatch try_catch_;
  v8::Local<v8::Context> context_;
  v8::MicrotaskQueue* microtasks_ = nullptr;
  std::vector<v8::Local<v8::Name>> injected_;  // globals added for the per-call context
  LazyContext lazy_;
  CachedScript* script_ = nullptr;
};

OutcomeKind KindOf(Termination reason) {
  switch (reason) {
    case Termination::kTimeout:
      return OutcomeKind::kTimeout;
    case Termination::kMemory:
      return OutcomeKind::kMemory;
    case Termination::kKilled:
      return OutcomeKind::kKilled;
    case Termination::kCancelled:
      return OutcomeKind::kCancelled;
    case Termination::kNone:
      break;
  }
  return OutcomeKind::kValue;
}

// Whether code of this text and form may be tried speculatively at all. Its own sourceURL would
// lose to ours. Async bodies await, which the mode refuses. A function body's first line gains
// a prefix, so a stack trace it returns as a value could show other columns.
bool SpeculableText(CodeForm form, std::string_view code) {
  constexpr auto npos = std::string_view::npos;
  return code.find("sourceURL") == npos && form != CodeForm::kAsyncFunctionBody &&
         (form != CodeForm::kFunctionBody || code.find("stack") == npos);
}

// The cached script `request` may run speculatively on the pristine context, or null, and
// the budget of the attempt. Only code seen before qualifies: the first run of any code takes
// a new context.
CachedScript* SpeculationCandidate(IsolateHolder& holder,
                                   const ExecutionRequest& request,
                                   Clock::time_point deadline,
                                   Clock::duration* budget) {
  if (!kSideEffectFreeEvaluation || !holder.config().cache_scripts) {
    return nullptr;
  }
  if (request.context_wire != nullptr && request.context_keys == nullptr) {
    return nullptr;  // its globals are only known for a plain dict
  }
  std::string_view code(request.code, request.code_length);
  CachedScript* cached = holder.scripts().Find(code);
  if (cached == nullptr || cached->speculation == Speculation::kRefused ||
      cached->compiled_run_ms < 0 || cached->compiled_run_ms > kMaxSpeculatedRunMs) {
    return nullptr;
  }
  if (cached->speculation == Speculation::kUntried && !SpeculableText(cached->form, code)) {
    cached->speculation = Speculation::kRefused;  // judged once: the text is the entry's key
    return nullptr;
  }
  *budget = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(
      std::max(kMinSpeculationMs, kSpeculationFactor * cached->compiled_run_ms)));
  if (deadline - Clock::now() < 4 * *budget) {
    return nullptr;
  }
  return cached;
}

}  // namespace

Outcome RunExecution(IsolateHolder& holder, const ExecutionRequest& request) {
  Outcome outcome;
  const Clock::time_point started = Clock::now();
  const double cpu_started = request.measure_cpu ? ThreadCpuMs() : 0;
  v8::Isolate* isolate = holder.isolate();
  {
    v8::Locker locker(isolate);
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope handle_scope(isolate);

    const uint64_t execution_id = holder.BeginExecution(request.token);
    auto budget = std::chrono::duration<double, std::milli>(request.timeout_ms);
    Clock::time_point deadline = started + std::chrono::duration_cast<Clock::duration>(budget);
    holder.deadline().Arm(deadline, execution_id);

    const IsolateConfig& config = holder.config();
    const bool persistent = config.persistent_context;
    auto reset_per_run_state = [&] {
      holder.timers().Reset(config.profile.max_timers, config.profile.max_timer_delay_ms > 0
                                                           ? config.profile.max_timer_delay_ms
                                                           : request.timeout_ms);
      holder.console().Reset(request.capture_console, config.console_max_entries,
                             config.console_max_bytes);
    };
    reset_per_run_state();
    Recycling recycling = Recycling::kDeclined;
    Clock::duration speculation_budget{};
    CachedScript* candidate =
        persistent ? nullptr : SpeculationCandidate(holder, request, deadline, &speculation_budget);
    if (candidate != nullptr) {
      const Clock::time_point attempt_started = Clock::now();
      ContextLease pristine = holder.contexts().PristineContext();
      if (!pristine.context.IsEmpty()) {
        v8::Context::Scope context_scope(pristine.context);
        recycling =
            Execution(holder, request, &outcome)
                .RunSpeculatively(pristine, candidate, deadline, speculation_budget, execution_id);
      }
      if (recycling == Recycling::kKept) {
        holder.CountRecycledRun();
      } else {
        holder.contexts().DiscardPristine();
      }
      if (recycling == Recycling::kDeclined) {
        // The script gets its whole time limit in the new context: the declined attempt, at
        // most its budget, is not charged to it.
        deadline += Clock::now() - attempt_started;
        holder.deadline().Arm(deadline, execution_id);
        outcome = Outcome();
        holder.timers().Clear();
        reset_per_run_state();
      }
    }
    if (recycling == Recycling::kDeclined) {
      // Timed with the new context: that is what a recycled run saves.
      const Clock::time_point compiled_started = Clock::now();
      ContextLease lease =
          persistent ? holder.contexts().PersistentContext() : holder.contexts().NewContext();
      if (lease.context.IsEmpty()) {
        outcome.kind = OutcomeKind::kConversionError;
        outcome.detail = "the sandbox's custom globals could not be installed";
      } else {
        v8::Context::Scope context_scope(lease.context);
        Execution execution(holder, request, &outcome);
        execution.Run(lease.context, lease.microtasks);
        if (!persistent && execution.script() != nullptr) {
          // What a speculative attempt of this script may take is judged from this run.
          execution.script()->compiled_run_ms = static_cast<float>(
              std::chrono::duration<double, std::milli>(Clock::now() - compiled_started).count());
        }
      }
    }
    holder.timers().Clear();
    holder.console().TakeInto(&outcome.console, &outcome.console_truncated);
    // Reading heap statistics walks every space: done when asked, and on every 64th run so
    // status reports stay current without taxing each call.
    if (request.read_heap || (execution_id & 63) == 1) {
      HeapUsage heap = holder.ReadHeapUsage();
      outcome.heap_used = heap.heap_used;
      outcome.heap_total = heap.heap_total;
      outcome.external = heap.external;
    }

    holder.deadline().Disarm();
    Termination reason = holder.EndExecution();
    if (reason == Termination::kNone && !holder.broken() &&
        (outcome.kind != OutcomeKind::kValue || Clock::now() - started > kLongRun) &&
        holder.OverMemoryLimit()) {
      // One large allocation can pass the limit with no full collection during the run to
      // notice; it is this execution's doing, so it ends as a memory-limit hit here rather than
      // in the next execution.
      reason = Termination::kMemory;
    }
    if (reason != Termination::kNone) {
      outcome.kind = KindOf(reason);
      outcome.value.nodes.clear();
      outcome.wire.clear();
      if (persistent) {
        // Its microtask queue may hold work of the stopped run; start the next one clean.
        holder.contexts().DiscardPersistent();
        holder.scripts().ForgetBindings();
      }
      holder.contexts().DiscardPristine();
    }
  }
  outcome.wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  if (request.measure_cpu) {
    outcome.cpu_ms = ThreadCpuMs() - cpu_started;
  }
  return outcome;
}

}  // namespace ci
