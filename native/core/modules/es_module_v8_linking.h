#ifndef CODE_INTERPRETER_CORE_MODULES_ES_MODULE_V8_LINKING_H_
#define CODE_INTERPRETER_CORE_MODULES_ES_MODULE_V8_LINKING_H_

#include <v8.h>

#include <string>
#include <unordered_map>

#include "core/modules/es_module_linker.h"

namespace ci {

/**
 * What the EsModuleLinker keeps of one context's modules that V8 linked, which both of its
 * halves read: V8's linking (es_module_v8_linking.cc: compiling a graph, instantiating and
 * evaluating it, V8's callbacks) and the choice of the path a graph takes, with the function
 * path and the synthetic modules that stand in V8's graphs for modules V8 does not link
 * (es_module_linker.cc).
 */
struct EsModuleLinker::ContextModules {
  v8::Global<v8::Object> registry;  // weak: this entry is dropped once the context is gone
  std::unordered_map<int, v8::Global<v8::Module>> by_file;  // weak
  std::unordered_multimap<int, int> files_by_hash;          // module identity hash -> file
  Graph* linking = nullptr;                                 // the graph being instantiated
  EsModuleLinker* linker = nullptr;

  int FileOf(v8::Isolate* isolate, v8::Local<v8::Module> module) const {
    auto [first, last] = files_by_hash.equal_range(module->GetIdentityHash());
    for (auto it = first; it != last; ++it) {
      auto found = by_file.find(it->second);
      if (found != by_file.end() && found->second.Get(isolate) == module) {
        return it->second;
      }
    }
    return -1;
  }
};

// Throws an Error of `message` (nothing when V8 cannot make the string).
void ThrowError(v8::Isolate* isolate, const std::string& message);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_MODULES_ES_MODULE_V8_LINKING_H_
