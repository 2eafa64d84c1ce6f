#include "core/run/import_declarations.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "core/engine/source_tokens.h"

namespace ci {
namespace {

struct Binding {
  std::string imported;  // a name, or a string literal as written
  std::string local;
};

struct Declaration {
  size_t start = 0;
  size_t end = 0;         // after its last token (and its semicolon)
  std::string specifier;  // the string literal as written
  std::string default_name;
  std::string namespace_name;
  std::vector<Binding> named;
  bool has_named = false;
};

class Parser {
 public:
  Parser(std::string_view code, const std::vector<SourceToken>& tokens, size_t at)
      : code_(code), tokens_(tokens), at_(at) {}

  std::optional<Declaration> Parse() {
    Declaration declaration;
    declaration.start = tokens_[at_].start;
    ++at_;  // `import`
    if (Is(SourceToken::kString)) {
      declaration.specifier = std::string(Text());
      ++at_;
    } else {
      if (Is(SourceToken::kIdentifier) && Text() != "from") {
        declaration.default_name = std::string(Text());
        ++at_;
        if (!Punctuator(",")) {
          if (!Word("from")) {
            return std::nullopt;
          }
          --at_;
        }
      }
      if (Punctuator("*")) {
        if (!Word("as") || !Is(SourceToken::kIdentifier)) {
          return std::nullopt;
        }
        declaration.namespace_name = std::string(Text());
        ++at_;
      } else if (Punctuator("{")) {
        declaration.has_named = true;
        while (!Punctuator("}")) {
          if (!Is(SourceToken::kIdentifier) && !Is(SourceToken::kString)) {
            return std::nullopt;
          }
          Binding binding{std::string(Text()), std::string(Text())};
          ++at_;
          if (Word("as")) {
            if (!Is(SourceToken::kIdentifier)) {
              return std::nullopt;
            }
            binding.local = std::string(Text());
            ++at_;
          } else if (tokens_[at_ - 1].kind == SourceToken::kString) {
            return std::nullopt;  // a string name needs `as`
          }
          declaration.named.push_back(std::move(binding));
          if (!Punctuator(",") && !(Peek("}"))) {
            return std::nullopt;
          }
        }
      }
      if (!Word("from") || !Is(SourceToken::kString)) {
        return std::nullopt;
      }
      declaration.specifier = std::string(Text());
      ++at_;
    }
    // Import attributes: `with { type: 'json' }` (or the older `assert`).
    if ((Peek("with") || Peek("assert")) && at_ + 1 < tokens_.size() &&
        tokens_[at_ + 1].text(code_) == "{" && tokens_[at_].depth == 0) {
      ++at_;
      const int depth = tokens_[at_].depth;
      for (++at_; at_ < tokens_.size(); ++at_) {
        if (tokens_[at_].depth == depth && tokens_[at_].text(code_) == "}") {
          ++at_;
          break;
        }
      }
    }
    const SourceToken& last = tokens_[at_ - 1];
    declaration.end = last.start + last.length;
    if (Punctuator(";")) {
      declaration.end = tokens_[at_ - 1].start + 1;
    }
    return declaration;
  }

  size_t next() const { return at_; }

 private:
  bool Is(SourceToken::Kind kind) const {
    return at_ < tokens_.size() && tokens_[at_].kind == kind;
  }
  std::string_view Text() const { return tokens_[at_].text(code_); }
  bool Peek(std::string_view text) const { return at_ < tokens_.size() && Text() == text; }
  bool Punctuator(std::string_view text) {
    if (Is(SourceToken::kPunctuator) && Text() == text) {
      ++at_;
      return true;
    }
    return false;
  }
  bool Word(std::string_view text) {
    if (Is(SourceToken::kIdentifier) && Text() == text) {
      ++at_;
      return true;
    }
    return false;
  }

  std::string_view code_;
  const std::vector<SourceToken>& tokens_;
  size_t at_;
};

std::string Rewritten(const Declaration& d) {
  const std::string source = "require.import(" + d.specifier + ")";
  if (d.default_name.empty() && d.namespace_name.empty() && !d.has_named) {
    return source + ";";
  }
  if (!d.namespace_name.empty()) {
    std::string text = "const " + d.namespace_name + " = " + source;
    if (!d.default_name.empty()) {
      text += ", " + d.default_name + " = " + d.namespace_name + ".default";
    }
    return text + ";";
  }
  if (!d.has_named) {
    return "const " + d.default_name + " = " + source + ".default;";
  }
  std::string pattern;
  if (!d.default_name.empty()) {
    pattern = "default: " + d.default_name;
  }
  for (const Binding& binding : d.named) {
    pattern += pattern.empty() ? "" : ", ";
    pattern +=
        binding.imported == binding.local ? binding.local : binding.imported + ": " + binding.local;
  }
  return "const { " + pattern + " } = " + source + ";";
}

}  // namespace

bool RewriteImportDeclarations(std::string_view code, std::string* out) {
  if (code.find("import") == std::string_view::npos) {
    return false;
  }
  const std::vector<SourceToken> tokens = TokenizeSource(code);
  std::vector<Declaration> found;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const SourceToken& token = tokens[i];
    if (token.kind != SourceToken::kIdentifier || token.after_dot || token.depth != 0 ||
        token.text(code) != "import") {
      continue;
    }
    // import(...) and import.meta are expressions, not declarations.
    if (i + 1 < tokens.size() &&
        (tokens[i + 1].text(code) == "(" || tokens[i + 1].text(code) == ".")) {
      continue;
    }
    Parser parser(code, tokens, i);
    std::optional<Declaration> declaration = parser.Parse();
    if (declaration) {
      found.push_back(std::move(*declaration));
      i = parser.next() - 1;
    }
  }
  if (found.empty()) {
    return false;
  }
  std::string text;
  text.reserve(code.size() + found.size() * 32);
  size_t copied = 0;
  for (const Declaration& declaration : found) {
    text.append(code.substr(copied, declaration.start - copied));
    text.append(Rewritten(declaration));
    // The lines the declaration spanned stay, so the code after it keeps its line numbers.
    const std::string_view replaced =
        code.substr(declaration.start, declaration.end - declaration.start);
    text.append(static_cast<size_t>(std::count(replaced.begin(), replaced.end(), '\n')), '\n');
    copied = declaration.end;
  }
  text.append(code.substr(copied));
  *out = std::move(text);
  return true;
}

}  // namespace ci
