#ifndef CODE_INTERPRETER_CORE_TREE_TO_JS_H_
#define CODE_INTERPRETER_CORE_TREE_TO_JS_H_

#include <v8.h>

#include <string>

#include "core/value_tree.h"

namespace ci {

/**
 * Builds the JavaScript value of a ValueTree in `context` without recursion: every node is made
 * first, then containers are filled, so shared references and cycles come out as such.
 * Properties are defined, never assigned, so a key such as "__proto__" stays an own property.
 * Returns false with `error` set when V8 refuses a value (a string over its maximum length).
 */
bool TreeToJs(v8::Local<v8::Context> context,
              const ValueTree& tree,
              v8::Local<v8::Value>* out,
              std::string* error);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_TREE_TO_JS_H_
