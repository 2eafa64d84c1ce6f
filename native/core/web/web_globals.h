#ifndef CODE_INTERPRETER_CORE_WEB_WEB_GLOBALS_H_
#define CODE_INTERPRETER_CORE_WEB_WEB_GLOBALS_H_

#include <v8.h>

#include <array>
#include <functional>
#include <string>
#include <vector>

namespace ci {

/**
 * The web platform globals (URL, TextEncoder, atob, structuredClone, crypto, performance,
 * EventTarget, AbortController, ...) for the contexts of one isolate.
 *
 * They cost a context nothing until it uses one: Install() only defines each name as a lazy
 * data property of the global object. The first read of one builds its group (the globals
 * whose script is one file of core/web/js/): the group's script, compiled once per isolate, runs
 * in the context with the group's native functions (core/web/web_natives.h) and the groups it
 * uses; the read then leaves an ordinary data property. A group is built at most once per
 * context; the groups built so far sit in an embedder data slot, out of reach of script.
 *
 * The getters are declared to have side effects, so a recycled attempt (core/run/recycled_run.h)
 * that reaches for one is declined and runs in a new context. Use with the isolate locked.
 */
class WebGlobals {
 public:
  explicit WebGlobals(v8::Isolate* isolate);
  ~WebGlobals();
  WebGlobals(const WebGlobals&) = delete;
  WebGlobals& operator=(const WebGlobals&) = delete;

  // Every global name this offers the sandbox's code.
  static const std::vector<std::string>& Names();
  // The names it offers module code only (Node's process and Buffer).
  static const std::vector<std::string>& ModuleOnlyNames();

  // Defines the names `offered` accepts on `target` (the context's global object, or an object
  // that module code takes them from), and the context's time origin.
  // `originals` holds the global object's properties as they were before a filter removed some
  // (empty when none did): the groups' scripts take the intrinsics they use from it, else from
  // the global object. `for_modules`: `target` is module code's, which may take the
  // ModuleOnlyNames() too. False when V8 refused.
  bool Install(v8::Local<v8::Context> context,
               v8::Local<v8::Object> target,
               const std::function<bool(const char*)>& offered,
               v8::Local<v8::Object> originals,
               bool for_modules = false);

 private:
  struct Entry {
    WebGlobals* owner;
    const char* name;
    size_t group;
    bool module_only;
  };
  static void Read(v8::Local<v8::Name> name, const v8::PropertyCallbackInfo<v8::Value>& info);
  static void Use(const v8::FunctionCallbackInfo<v8::Value>& info);
  // The exports of `group` in `context`, built on first use.
  v8::MaybeLocal<v8::Object> Group(v8::Local<v8::Context> context, size_t group);
  v8::MaybeLocal<v8::Array> Realized(v8::Local<v8::Context> context);

  v8::Isolate* isolate_;
  std::vector<Entry> entries_;
  std::vector<v8::Global<v8::External>> entry_data_;
  std::vector<v8::Global<v8::String>> entry_names_;     // internalized once, not per context
  std::vector<v8::Global<v8::UnboundScript>> scripts_;  // by group, compiled on first use
  v8::Global<v8::ObjectTemplate> natives_;
  v8::Global<v8::FunctionTemplate> use_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_WEB_WEB_GLOBALS_H_
