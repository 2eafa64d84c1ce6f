#ifndef CODE_INTERPRETER_CORE_MODULES_ES_MODULE_SOURCE_CHECKS_H_
#define CODE_INTERPRETER_CORE_MODULES_ES_MODULE_SOURCE_CHECKS_H_

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine/source_tokens.h"

namespace ci {

/**
 * An ES module's source read as tokens, with the checks of whether it qualifies to run as a
 * function (es_module_source.h) that no rewrite of its declarations could make right: a name
 * of the wrapper's, an await that may be top-level, import.meta, an exported binding written
 * after its declaration. The rewrite of the declarations (es_module_source.cc) reads the same
 * tokens with the same helpers, and finds the exported bindings the last check is about.
 */
class EsModuleTokens {
 public:
  explicit EsModuleTokens(std::string_view source) : s_(source), tokens_(TokenizeSource(source)) {}

  // Why the module cannot run as a function whatever its declarations are; null when nothing
  // of that kind is in it.
  const char* UnsupportedSyntax() const;

  // Whether none of `checked` (exported bindings a later write would change) is written other
  // than by its declaration: an assignment, ++ or --, a for-in/of target, or a name in a
  // destructuring assignment. `declarations` are the tokens that declare an exported let or
  // var.
  bool NoLaterWrites(const std::set<std::string>& checked,
                     const std::set<size_t>& declarations) const;

 protected:
  std::string_view Text(size_t i) const { return tokens_[i].text(s_); }
  bool Is(size_t i, std::string_view text) const { return i < tokens_.size() && Text(i) == text; }
  bool IsName(size_t i) const {
    return i < tokens_.size() && tokens_[i].kind == SourceToken::kIdentifier;
  }
  size_t End(size_t i) const { return tokens_[i].start + tokens_[i].length; }
  bool NewlineBefore(size_t i) const {
    if (i == 0) {
      return false;
    }
    const size_t from = End(i - 1);
    return s_.substr(from, tokens_[i].start - from).find_first_of("\n\r") != std::string_view::npos;
  }
  // A "=" token that is a plain assignment (not "==", "===" or "=>").
  bool IsAssignment(size_t at) const {
    const size_t next = tokens_[at].start + 1;
    return next >= s_.size() || (s_[next] != '=' && s_[next] != '>');
  }

  std::string_view s_;
  std::vector<SourceToken> tokens_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_MODULES_ES_MODULE_SOURCE_CHECKS_H_
