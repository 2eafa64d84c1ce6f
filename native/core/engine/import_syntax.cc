#include "core/engine/import_syntax.h"

namespace ci {
namespace {

class Parser {
 public:
  Parser(std::string_view code, const std::vector<SourceToken>& tokens, size_t at)
      : code_(code), tokens_(tokens), at_(at) {}

  std::optional<ImportDeclaration> Parse() {
    ImportDeclaration declaration;
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
          ImportBinding binding{std::string(Text()), std::string(Text())};
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
    if ((Peek("with") || Peek("assert")) && at_ + 1 < tokens_.size() &&
        tokens_[at_ + 1].text(code_) == "{" && tokens_[at_].depth == 0) {
      declaration.has_attributes = true;
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

}  // namespace

std::optional<ImportDeclaration> ParseImportDeclaration(std::string_view code,
                                                        const std::vector<SourceToken>& tokens,
                                                        size_t* at) {
  Parser parser(code, tokens, *at);
  std::optional<ImportDeclaration> declaration = parser.Parse();
  if (declaration) {
    *at = parser.next();
  }
  return declaration;
}

std::optional<std::string> PlainStringValue(std::string_view literal) {
  if (literal.size() < 2 || literal.find('\\') != std::string_view::npos ||
      literal.front() != literal.back() || (literal.front() != '\'' && literal.front() != '"')) {
    return std::nullopt;
  }
  return std::string(literal.substr(1, literal.size() - 2));
}

}  // namespace ci
