#ifndef CODE_INTERPRETER_CORE_VALUES_JS_TO_TREE_H_
#define CODE_INTERPRETER_CORE_VALUES_JS_TO_TREE_H_

#include <v8.h>

#include <string>

#include "core/values/value_tree.h"

namespace ci {

enum class ConversionStatus {
  kOk,
  kThrew,        // a getter or Proxy trap threw, or the execution was terminated
  kUnsupported,  // a function, symbol, too deep or too large: `error` says what and where
};

/**
 * Reads a JavaScript value into a ValueTree by structured-clone rules, iteratively and within
 * `limits`. Getters and Proxy traps run, so call it inside the execution's deadline. An
 * unsupported value's `error` names its path from `root_name` ("result.a[3]").
 */
ConversionStatus JsToTree(v8::Local<v8::Context> context,
                          v8::Local<v8::Value> value,
                          const ConversionLimits& limits,
                          ValueTree* tree,
                          std::string* error,
                          const char* root_name = "result");

/**
 * One string as a tree of one node, within `limits`: a string result (every interpret() result
 * is one) needs no walk.
 */
ConversionStatus StringToTree(v8::Isolate* isolate,
                              v8::Local<v8::String> text,
                              const ConversionLimits& limits,
                              ValueTree* tree,
                              std::string* error);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_VALUES_JS_TO_TREE_H_
