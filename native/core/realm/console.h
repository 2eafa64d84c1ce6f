#ifndef CODE_INTERPRETER_CORE_REALM_CONSOLE_H_
#define CODE_INTERPRETER_CORE_REALM_CONSOLE_H_

#include <v8.h>

#include <cstddef>
#include <string>
#include <vector>

namespace ci {

/** One captured console line. */
struct ConsoleEntry {
  std::string level;  // log, info, warn, error, debug
  std::string text;   // UTF-8
};

/**
 * The sandbox's own `console`: log/info/warn/error/debug append formatted lines to a bounded
 * per-execution buffer; past the bound one marker line is added and the rest dropped.
 */
void ConsoleMethod(const v8::FunctionCallbackInfo<v8::Value>& info);

class ConsoleBuffer {
 public:
  static constexpr char kTruncatedMarker[] = "[console output truncated]";

  // Starts an execution's capture; `enabled` false drops everything.
  void Reset(bool enabled, size_t max_entries, size_t max_bytes);
  size_t max_bytes() const { return max_bytes_; }
  void Append(const char* level, std::string text);
  // Calls of any console method so far, captured or not.
  uint64_t calls() const { return calls_; }
  // Moves the captured lines out.
  void TakeInto(std::vector<ConsoleEntry>* entries, bool* truncated);

  // An object template named `console` whose methods write to this buffer.
  v8::Local<v8::ObjectTemplate> NewTemplate(v8::Isolate* isolate);

 private:
  struct LevelBinding {
    ConsoleBuffer* buffer;
    const char* level;
  };
  friend void ConsoleMethod(const v8::FunctionCallbackInfo<v8::Value>& info);

  LevelBinding bindings_[5];
  std::vector<ConsoleEntry> entries_;
  size_t bytes_ = 0;
  size_t max_entries_ = 0;
  size_t max_bytes_ = 0;
  bool enabled_ = false;
  uint64_t calls_ = 0;
  bool truncated_ = false;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_REALM_CONSOLE_H_
