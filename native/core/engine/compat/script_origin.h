#ifndef CODE_INTERPRETER_CORE_ENGINE_COMPAT_SCRIPT_ORIGIN_H_
#define CODE_INTERPRETER_CORE_ENGINE_COMPAT_SCRIPT_ORIGIN_H_

#include <v8.h>

namespace ci {

/**
 * The origin of a script or module we compile: its resource name, the line its first line
 * counts as, and whether it is an ES module. V8 12 dropped the isolate from the constructor.
 */
inline v8::ScriptOrigin MakeScriptOrigin(v8::Isolate* isolate,
                                         v8::Local<v8::Value> name,
                                         int line_offset = 0,
                                         bool is_module = false) {
#if V8_MAJOR_VERSION < 12
  return v8::ScriptOrigin(isolate, name, line_offset, 0, false, -1, v8::Local<v8::Value>(), false,
                          false, is_module);
#else
  (void)isolate;
  return v8::ScriptOrigin(name, line_offset, 0, false, -1, v8::Local<v8::Value>(), false, false,
                          is_module);
#endif
}

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_COMPAT_SCRIPT_ORIGIN_H_
