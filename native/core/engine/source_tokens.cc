#include "core/engine/source_tokens.h"

#include <cctype>

namespace ci {
namespace {

bool IdentifierStart(unsigned char c) {
  return std::isalpha(c) || c == '_' || c == '$' || c == '\\' || c >= 0x80;
}

bool IdentifierPart(unsigned char c) {
  return std::isalnum(c) || c == '_' || c == '$' || c == '\\' || c >= 0x80;
}

bool Space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// After these words a "/" starts a regular expression rather than a division.
bool KeywordBeforeExpression(std::string_view word) {
  for (std::string_view keyword : {"return", "typeof", "instanceof", "in", "of", "new", "delete",
                                   "void", "throw", "case", "do", "else", "yield", "await"}) {
    if (word == keyword) {
      return true;
    }
  }
  return false;
}

size_t SkipString(std::string_view s, size_t i, char quote) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == quote || s[i] == '\n') {
      return i + 1;
    }
  }
  return s.size();
}

size_t SkipRegex(std::string_view s, size_t i) {
  bool in_class = false;
  for (++i; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\') {
      ++i;
    } else if (c == '\n') {
      return i;
    } else if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
    } else if (c == '/') {
      for (++i; i < s.size() && IdentifierPart(static_cast<unsigned char>(s[i])); ++i) {
      }
      return i;
    }
  }
  return s.size();
}

// From inside a template literal: the offset after its text, and whether a "${" opened.
size_t SkipTemplateText(std::string_view s, size_t i, bool* opened) {
  for (; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '`') {
      *opened = false;
      return i + 1;
    } else if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
      *opened = true;
      return i + 2;
    }
  }
  *opened = false;
  return s.size();
}

}  // namespace

std::vector<SourceToken> TokenizeSource(std::string_view s) {
  std::vector<SourceToken> tokens;
  std::vector<bool> open;  // per open "{" or "(": true for a template substitution
  const SourceToken* previous = nullptr;
  size_t i = 0;
  auto depth = [&] { return static_cast<int>(open.size()); };
  auto push = [&](SourceToken token) {
    tokens.push_back(token);
    previous = &tokens.back();
  };
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (Space(c)) {
      ++i;
      continue;
    }
    if (s.compare(i, 2, "//") == 0) {
      const size_t end = s.find('\n', i);
      i = end == std::string_view::npos ? s.size() : end;
      continue;
    }
    if (s.compare(i, 2, "/*") == 0) {
      const size_t end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
      continue;
    }
    if (c == '\'' || c == '"') {
      const size_t end = SkipString(s, i, static_cast<char>(c));
      push(SourceToken{SourceToken::kString, i, end - i, false, depth()});
      i = end;
      continue;
    }
    const bool closes_substitution = c == '}' && !open.empty() && open.back();
    if (c == '`' || closes_substitution) {
      if (closes_substitution) {
        open.pop_back();
      }
      bool opened = false;
      const size_t end = SkipTemplateText(s, i + 1, &opened);
      push(SourceToken{SourceToken::kLiteral, i, end - i, false, depth()});
      if (opened) {
        open.push_back(true);
      }
      i = end;
      continue;
    }
    if (c == '/') {
      const bool regex = previous == nullptr ||
                         (previous->kind == SourceToken::kPunctuator && s[previous->start] != ')' &&
                          s[previous->start] != ']' && s[previous->start] != '}') ||
                         (previous->kind == SourceToken::kIdentifier && !previous->after_dot &&
                          KeywordBeforeExpression(previous->text(s)));
      if (regex) {
        const size_t end = SkipRegex(s, i);
        push(SourceToken{SourceToken::kLiteral, i, end - i, false, depth()});
        i = end;
        continue;
      }
    }
    if (IdentifierStart(c)) {
      size_t end = i + 1;
      while (end < s.size() && IdentifierPart(static_cast<unsigned char>(s[end]))) {
        ++end;
      }
      const bool after_dot = previous != nullptr && previous->kind == SourceToken::kPunctuator &&
                             (previous->text(s) == "." || previous->text(s) == "?.");
      push(SourceToken{SourceToken::kIdentifier, i, end - i, after_dot, depth()});
      i = end;
      continue;
    }
    if (std::isdigit(c) || (c == '.' && i + 1 < s.size() && std::isdigit(s[i + 1]))) {
      size_t end = i + 1;
      while (end < s.size() &&
             (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '.' || s[end] == '_' ||
              ((s[end] == '+' || s[end] == '-') && (s[end - 1] == 'e' || s[end - 1] == 'E')))) {
        ++end;
      }
      push(SourceToken{SourceToken::kLiteral, i, end - i, false, depth()});
      i = end;
      continue;
    }
    size_t length = 1;
    if (c == '?' && i + 1 < s.size() && s[i + 1] == '.' &&
        !(i + 2 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 2])))) {
      length = 2;
    }
    if (c == '}' || c == ')') {
      if (!open.empty()) {
        open.pop_back();
      }
    }
    push(SourceToken{SourceToken::kPunctuator, i, length, false, depth()});
    if (c == '{' || c == '(') {
      open.push_back(false);
    }
    i += length;
  }
  return tokens;
}

}  // namespace ci
