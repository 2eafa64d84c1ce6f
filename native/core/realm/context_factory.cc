#include "core/realm/context_factory.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "core/engine/webassembly_on_demand.h"
#include "core/host/host_bridge.h"
#include "core/values/wire.h"

namespace ci {
namespace {

// Globals that reach shared memory; removed from every context at every level.
constexpr const char* kSharedMemoryGlobals[] = {"SharedArrayBuffer", "Atomics"};

v8::Local<v8::String> Name(v8::Isolate* isolate, const char* name) {
  return v8::String::NewFromUtf8(isolate, name, v8::NewStringType::kInternalized).ToLocalChecked();
}

// A global of ECMAScript's own that module code may still use by name when a custom policy
// removed it: not our timers or WebAssembly, and only names that can be parameters.
bool IsIntrinsicName(const std::string& key) {
  static const char* const kNotForModules[] = {
      "globalThis",  "undefined",  "NaN",         "Infinity",     "eval",          "arguments",
      "WebAssembly", "setTimeout", "setInterval", "clearTimeout", "clearInterval", "console"};
  for (const char* name : kNotForModules) {
    if (key == name) {
      return false;
    }
  }
  if (key.empty() ||
      !(std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_' || key[0] == '$')) {
    return false;
  }
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
  });
}

}  // namespace

void ContextFactory::KeepForModules(v8::Local<v8::Context> context,
                                    v8::Local<v8::Object> global,
                                    v8::Local<v8::Value> name,
                                    const std::string& key,
                                    ModuleLoader::Scope* scope) {
  v8::Local<v8::Value> value;
  if (!global->Get(context, name).ToLocal(&value)) {
    return;
  }
  scope->global->Set(context, name, key == "globalThis" ? scope->global.As<v8::Value>() : value)
      .Check();
  const bool removed = std::find(profile_->allowed_globals.begin(), profile_->allowed_globals.end(),
                                 key) == profile_->allowed_globals.end();
  if (removed && IsIntrinsicName(key)) {
    scope->names.push_back(key);
    scope->values->Set(context, scope->values->Length(), value).Check();
  }
}

ContextFactory::ContextFactory(v8::Isolate* isolate,
                               ConsoleBuffer* console,
                               TimerQueue* timers,
                               const SecurityProfile* profile,
                               ModuleLoader* modules,
                               HostBridge* host_bridge)
    : isolate_(isolate),
      timers_(timers),
      profile_(profile),
      modules_(modules),
      host_bridge_(host_bridge),
      array_guard_(isolate),
      shared_memory_guard_(isolate),
      webassembly_promises_(isolate),
      web_globals_(isolate) {
  v8::HandleScope scope(isolate);
  console_template_.Reset(isolate, console->NewTemplate(isolate));
}

ContextFactory::~ContextFactory() {
  persistent_ = KeptContext();
  spare_ = KeptContext();
  pristine_.clear();
  queues_.clear();
  console_template_.Reset();
}

ContextLease ContextFactory::NewContext() {
  if (has_spare()) {
    ContextLease lease{spare_.context.Get(isolate_), spare_.queue, true};
    spare_ = KeptContext();
    return lease;
  }
  return MakeContext();
}

bool ContextFactory::PrepareSpare() {
  if (has_spare()) {
    return true;
  }
  ContextLease lease = MakeContext();
  if (lease.context.IsEmpty()) {
    return false;
  }
  spare_.context.Reset(isolate_, lease.context);
  spare_.queue = lease.microtasks;
  return true;
}

ContextLease ContextFactory::MakeContext() {
  ReleaseCollectedQueues();
  std::unique_ptr<v8::MicrotaskQueue> queue =
      v8::MicrotaskQueue::New(isolate_, v8::MicrotasksPolicy::kExplicit);
  v8::Local<v8::Context> context = v8::Context::New(
      isolate_, nullptr, v8::MaybeLocal<v8::ObjectTemplate>(), v8::MaybeLocal<v8::Value>(),
      v8::DeserializeInternalFieldsCallback(), queue.get());
  context->AllowCodeGenerationFromStrings(false);
  ContextLease lease{context, queue.get()};
  TrackedQueue tracked{v8::Global<v8::Context>(isolate_, context), std::move(queue)};
  tracked.context.SetWeak();
  queues_.push_back(std::move(tracked));
  if (!Furnish(context)) {
    return ContextLease{};
  }
  return lease;
}

bool ContextFactory::Furnish(v8::Local<v8::Context> context) {
  v8::Context::Scope scope(context);
  v8::Local<v8::Object> global = context->Global();
  for (const char* name : kSharedMemoryGlobals) {
    global->Delete(context, Name(isolate_, name)).Check();
  }
  if (profile_->webassembly) {
    InstallWebAssembly(isolate_);
    if (SharedMemoryGuard::kNeeded && !shared_memory_guard_.Install(context)) {
      return false;
    }
    if (!webassembly_promises_.Install(context)) {
      return false;
    }
  } else if (!kWebAssemblyOnDemand) {
    global->Delete(context, Name(isolate_, "WebAssembly")).Check();
  }
  if (!array_guard_.Install(context)) {
    return false;
  }
  if (profile_->timers) {
    timers_->Install(isolate_, context, global);  // before the filter: each may be left out
  }
  ModuleLoader::Scope module_scope;
  v8::Local<v8::Object> web_originals;  // what the web globals' scripts take intrinsics from
  if (!profile_->allowed_globals.empty()) {
    if (profile_->web_globals) {
      web_originals = v8::Object::New(isolate_, v8::Null(isolate_), nullptr, nullptr, 0);
    }
    v8::Local<v8::Array> names;
    if (modules_ != nullptr) {
      module_scope.global = v8::Object::New(isolate_);
      module_scope.values = v8::Array::New(isolate_, 0);
    }
    if (global->GetOwnPropertyNames(context, v8::ALL_PROPERTIES).ToLocal(&names)) {
      for (uint32_t i = 0; i < names->Length(); ++i) {
        v8::Local<v8::Value> name = names->Get(context, i).ToLocalChecked();
        v8::String::Utf8Value text(isolate_, name);
        const std::string key(*text ? *text : "", text.length());
        if (modules_ != nullptr) {
          KeepForModules(context, global, name, key, &module_scope);
        }
        v8::Local<v8::Value> value;
        if (!web_originals.IsEmpty() && global->Get(context, name).ToLocal(&value) &&
            web_originals->CreateDataProperty(context, name.As<v8::Name>(), value).IsNothing()) {
          return false;
        }
        if (key != "globalThis" &&
            std::find(profile_->allowed_globals.begin(), profile_->allowed_globals.end(), key) ==
                profile_->allowed_globals.end()) {
          global->Delete(context, name).Check();
        }
      }
    }
  }
  bool allowed_all = profile_->allowed_globals.empty();
  auto allowed = [&](const char* name) {
    return allowed_all ||
           std::find(profile_->allowed_globals.begin(), profile_->allowed_globals.end(), name) !=
               profile_->allowed_globals.end();
  };
  if (allowed("console")) {
    // V8 installs a built-in console during bootstrap (a no-op without an inspector); ours
    // replaces it.
    v8::Local<v8::Object> console =
        console_template_.Get(isolate_)->NewInstance(context).ToLocalChecked();
    global->DefineOwnProperty(context, Name(isolate_, "console"), console, v8::DontEnum).Check();
  }
  if (profile_->web_globals && !web_globals_.Install(context, global, allowed, web_originals)) {
    return false;
  }
  if (modules_ != nullptr) {
    // Module code has the web platform globals at every level, and Node's process and Buffer:
    // those the sandbox's own code lacks come from an object of their own
    // (ModuleLoader::Scope::lazy), built when a module first reads one.
    const auto for_modules = [&](const char* name) {
      return !(profile_->web_globals && allowed(name));
    };
    for (const std::string& name : WebGlobals::Names()) {
      if (for_modules(name.c_str())) {
        module_scope.lazy_names.push_back(name);
      }
    }
    const std::vector<std::string>& node_names = WebGlobals::ModuleOnlyNames();
    module_scope.lazy_names.insert(module_scope.lazy_names.end(), node_names.begin(),
                                   node_names.end());
    module_scope.lazy = v8::Object::New(isolate_, v8::Null(isolate_), nullptr, nullptr, 0);
    const auto lazy = [&](const char* name) {
      return std::find(node_names.begin(), node_names.end(), name) != node_names.end() ||
             for_modules(name);
    };
    if (!web_globals_.Install(context, module_scope.lazy, lazy, web_originals, true)) {
      return false;
    }
    // UMD wrappers find the global object as `global` or `self` (and check that
    // global.global === global): module code's global object has both, and when it is not the
    // context's (a filter took names from that), the globals above too (`global.crypto`).
    v8::Local<v8::Object> module_global =
        module_scope.global.IsEmpty() ? global : module_scope.global;
    if (!module_scope.global.IsEmpty() &&
        !web_globals_.Install(context, module_scope.global, lazy, web_originals, true)) {
      return false;
    }
    for (const char* name : {"global", "self"}) {
      if (module_global
              ->DefineOwnProperty(context, Name(isolate_, name), module_global, v8::DontEnum)
              .IsNothing()) {
        return false;
      }
    }
  }
  if (modules_ != nullptr && !modules_->Install(context, module_scope)) {
    return false;
  }
  if (host_bridge_ != nullptr && !host_bridge_->Install(context)) {
    return false;
  }
  if (profile_->custom_globals) {
    v8::Local<v8::Value> values;
    if (!DeserializeValue(context, *profile_->custom_globals, &values) || !values->IsObject()) {
      return false;
    }
    v8::Local<v8::Array> keys;
    v8::Local<v8::Object> object = values.As<v8::Object>();
    if (!object->GetOwnPropertyNames(context).ToLocal(&keys)) {
      return false;
    }
    for (uint32_t i = 0; i < keys->Length(); ++i) {
      v8::Local<v8::Value> key = keys->Get(context, i).ToLocalChecked();
      v8::Local<v8::Value> value = object->Get(context, key).ToLocalChecked();
      global->CreateDataProperty(context, key.As<v8::Name>(), value).Check();
    }
  }
  return true;
}

ContextLease ContextFactory::Kept(KeptContext* kept) {
  if (kept->context.IsEmpty()) {
    ContextLease lease = NewContext();
    if (lease.context.IsEmpty()) {
      return lease;
    }
    kept->context.Reset(isolate_, lease.context);
    kept->queue = lease.microtasks;
    return lease;
  }
  return ContextLease{kept->context.Get(isolate_), kept->queue};
}

ContextLease ContextFactory::PristineContext(const std::vector<int>& modules, bool* made) {
  auto found = std::find_if(pristine_.begin(), pristine_.end(),
                            [&](const Pristine& each) { return each.modules == modules; });
  if (found != pristine_.end()) {
    pristine_.splice(pristine_.begin(), pristine_, found);
  } else {
    pristine_.push_front(Pristine{modules, KeptContext()});
    if (pristine_.size() > kMaxPristine) {
      pristine_.pop_back();
    }
  }
  *made = pristine_.front().kept.context.IsEmpty();
  return Kept(&pristine_.front().kept);
}

void ContextFactory::DiscardPristine(const std::vector<int>& modules) {
  pristine_.remove_if([&](const Pristine& each) { return each.modules == modules; });
}

void ContextFactory::CollectLeftContexts() {
  if (queues_.size() < kUncollectedBeforeMarking) {
    return;
  }
  ReleaseCollectedQueues();
  if (queues_.size() >= kUncollectedBeforeMarking) {
    // Moderate pressure starts incremental marking (a no-op while marking runs): marked mostly
    // on V8's own threads, finished in a short pause, not a whole collection on this call.
    isolate_->MemoryPressureNotification(v8::MemoryPressureLevel::kModerate);
  }
}

void ContextFactory::ReleaseCollectedQueues() {
  queues_.erase(
      std::remove_if(queues_.begin(), queues_.end(),
                     [](const TrackedQueue& tracked) { return tracked.context.IsEmpty(); }),
      queues_.end());
}

}  // namespace ci
