#include "core/modules/es_module_source_checks.h"

#include <algorithm>
#include <utility>

#include "core/modules/es_module_source.h"

namespace ci {
namespace {

// The assignment operators (and ++ / --) that may start at `at`.
bool WritesAt(std::string_view s, size_t at) {
  auto starts = [&](std::string_view op) { return s.compare(at, op.size(), op) == 0; };
  if (starts("++") || starts("--")) {
    return true;
  }
  if (starts("==") || starts("=>")) {
    return false;
  }
  if (starts("=")) {
    return true;
  }
  for (std::string_view op : {"+=", "-=", "*=", "/=", "%=", "**=", "<<=", ">>=", ">>>=", "&=", "|=",
                              "^=", "&&=", "||=", "??="}) {
    if (starts(op)) {
      return true;
    }
  }
  return false;
}

}  // namespace

const char* EsModuleTokens::UnsupportedSyntax() const {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const SourceToken& token = tokens_[i];
    if (token.kind != SourceToken::kIdentifier || token.after_dot) {
      continue;
    }
    const std::string_view word = token.text(s_);
    if (word.rfind(kWrapperPrefix, 0) == 0) {
      return "it uses a name of the wrapper's";
    }
    if (word == "await" && i + 1 < tokens_.size() &&
        (tokens_[i + 1].kind == SourceToken::kPunctuator ||
         (tokens_[i + 1].kind == SourceToken::kLiteral && Text(i + 1)[0] == '`'))) {
      // `await (x)` compiles in a plain function too, as a call: top-level await could
      // hide there. Any other await outside an async function does not compile.
      return "an await is followed by a punctuator";
    }
    if (word == "import" && Is(i + 1, ".")) {
      return "it uses import.meta";
    }
  }
  return nullptr;
}

bool EsModuleTokens::NoLaterWrites(const std::set<std::string>& checked,
                                   const std::set<size_t>& declarations) const {
  if (checked.empty()) {
    return true;
  }
  // For each closing bracket, where it opened: a pattern `[...] =` or `{...} =` writes
  // every name inside it.
  std::vector<std::pair<size_t, size_t>> patterns;
  std::vector<size_t> open;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const std::string_view text = Text(i);
    if (tokens_[i].kind != SourceToken::kPunctuator) {
      continue;
    }
    if (text == "[" || text == "{") {
      open.push_back(i);
    } else if ((text == "]" || text == "}") && !open.empty()) {
      const size_t opened = open.back();
      open.pop_back();
      const bool declared =
          opened > 0 && (Is(opened - 1, "const") || Is(opened - 1, "let") || Is(opened - 1, "var"));
      if (Is(i + 1, "=") && IsAssignment(i + 1) && !declared) {
        patterns.emplace_back(opened, i);
      }
    }
  }
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const SourceToken& token = tokens_[i];
    if (token.kind != SourceToken::kIdentifier || token.after_dot ||
        checked.count(std::string(Text(i))) == 0) {
      continue;
    }
    if (declarations.count(i) != 0) {
      continue;
    }
    const bool declared = i > 0 && (Is(i - 1, "let") || Is(i - 1, "var") || Is(i - 1, "const") ||
                                    Is(i - 1, "function") || Is(i - 1, "class") || Is(i - 1, "*"));
    const bool written =
        (i + 1 < tokens_.size() && tokens_[i + 1].kind == SourceToken::kPunctuator &&
         WritesAt(s_, tokens_[i + 1].start)) ||
        (i > 0 && tokens_[i - 1].kind == SourceToken::kPunctuator &&
         (s_.compare(tokens_[i - 1].start, 1, "+") == 0 ||
          s_.compare(tokens_[i - 1].start, 1, "-") == 0) &&
         i > 1 && Text(i - 2) == Text(i - 1) && End(i - 2) == tokens_[i - 1].start) ||
        ((Is(i + 1, "of") || Is(i + 1, "in")) && i > 0 && Is(i - 1, "(")) ||
        std::any_of(patterns.begin(), patterns.end(),
                    [i](const auto& pattern) { return pattern.first < i && i < pattern.second; });
    if (written && !(declared && Is(i + 1, "="))) {
      return false;
    }
  }
  return true;
}

}  // namespace ci
