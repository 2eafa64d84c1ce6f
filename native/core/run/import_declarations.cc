#include "core/run/import_declarations.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "core/engine/import_syntax.h"
#include "core/engine/source_tokens.h"

namespace ci {
namespace {

std::string Rewritten(const ImportDeclaration& d) {
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
  for (const ImportBinding& binding : d.named) {
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
  std::vector<ImportDeclaration> found;
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
    size_t next = i;
    std::optional<ImportDeclaration> declaration = ParseImportDeclaration(code, tokens, &next);
    if (declaration) {
      found.push_back(std::move(*declaration));
      i = next - 1;
    }
  }
  if (found.empty()) {
    return false;
  }
  std::string text;
  text.reserve(code.size() + found.size() * 32);
  size_t copied = 0;
  for (const ImportDeclaration& declaration : found) {
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
