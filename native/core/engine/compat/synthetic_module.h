#ifndef CODE_INTERPRETER_CORE_ENGINE_COMPAT_SYNTHETIC_MODULE_H_
#define CODE_INTERPRETER_CORE_ENGINE_COMPAT_SYNTHETIC_MODULE_H_

#include <v8.h>

#include <vector>

namespace ci {

/**
 * A synthetic module exporting NAMES, evaluated by STEPS. V8 12 takes the names as a span
 * where V8 10 takes a vector.
 */
inline v8::Local<v8::Module> NewSyntheticModule(v8::Isolate* isolate,
                                                v8::Local<v8::String> module_name,
                                                const std::vector<v8::Local<v8::String>>& names,
                                                v8::Module::SyntheticModuleEvaluationSteps steps) {
#if V8_MAJOR_VERSION < 12
  return v8::Module::CreateSyntheticModule(isolate, module_name, names, steps);
#else
  return v8::Module::CreateSyntheticModule(
      isolate, module_name, v8::MemorySpan<const v8::Local<v8::String>>(names.data(), names.size()),
      steps);
#endif
}

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_COMPAT_SYNTHETIC_MODULE_H_
