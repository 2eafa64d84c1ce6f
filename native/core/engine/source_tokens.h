#ifndef CODE_INTERPRETER_CORE_ENGINE_SOURCE_TOKENS_H_
#define CODE_INTERPRETER_CORE_ENGINE_SOURCE_TOKENS_H_

#include <cstddef>
#include <string_view>
#include <vector>

namespace ci {

/** One token of JavaScript source, by its place in the source. */
struct SourceToken {
  enum Kind { kIdentifier, kPunctuator, kString, kLiteral };
  Kind kind;
  size_t start;            // byte offset of its first character (a string's opening quote)
  size_t length;           // in bytes, quotes included
  bool after_dot = false;  // an identifier right after "." or "?.": a property name
  // Curly braces and parentheses open around it (template substitutions count as braces).
  int depth = 0;

  std::string_view text(std::string_view source) const { return source.substr(start, length); }
  // A string literal's text between its quotes, escapes as written.
  std::string_view inner(std::string_view source) const {
    return length >= 2 ? source.substr(start + 1, length - 2) : std::string_view();
  }
};

/**
 * The identifiers, punctuators and string literals of `source`, in order; numbers, regular
 * expressions and template literals are kLiteral (a template's substitutions are tokenized as
 * code). Comments are skipped. Not a parser: it has to be right about what is code and what
 * is text, and about nesting, for the rewrites of core/run (import declarations, top-level
 * await). A "/" starts a regular expression where an expression may start, as the scanner in
 * python/code_interpreter/_tokens.py decides it.
 */
std::vector<SourceToken> TokenizeSource(std::string_view source);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_SOURCE_TOKENS_H_
