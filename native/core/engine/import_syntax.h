#ifndef CODE_INTERPRETER_CORE_ENGINE_IMPORT_SYNTAX_H_
#define CODE_INTERPRETER_CORE_ENGINE_IMPORT_SYNTAX_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine/source_tokens.h"

namespace ci {

/** One name an import declaration binds: `imported as local`. */
struct ImportBinding {
  std::string imported;  // a name, or a string literal as written
  std::string local;
};

/** An import declaration, by its tokens (see ParseImportDeclaration). */
struct ImportDeclaration {
  size_t start = 0;
  size_t end = 0;         // after its last token (and its semicolon)
  std::string specifier;  // the string literal as written
  std::string default_name;
  std::string namespace_name;
  std::vector<ImportBinding> named;
  bool has_named = false;
  bool has_attributes = false;  // `with { type: 'json' }` (or the older `assert`)
};

/**
 * The import declaration whose `import` keyword is tokens[*at], in every form:
 * `import 'm'`, `import d from 'm'`, `import * as ns from 'm'`,
 * `import d, { a, b as c, "s" as e } from 'm'`, with or without attributes. On success `*at`
 * is the index of the first token after it; empty (and `*at` unchanged) when the tokens there
 * are not one.
 */
std::optional<ImportDeclaration> ParseImportDeclaration(std::string_view code,
                                                        const std::vector<SourceToken>& tokens,
                                                        size_t* at);

/** A string literal's value when it has no escape sequence (all module specifiers in practice). */
std::optional<std::string> PlainStringValue(std::string_view literal);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_ENGINE_IMPORT_SYNTAX_H_
