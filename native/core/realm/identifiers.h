#ifndef CODE_INTERPRETER_CORE_REALM_IDENTIFIERS_H_
#define CODE_INTERPRETER_CORE_REALM_IDENTIFIERS_H_

#include <string_view>

namespace ci {

// JavaScript's reserved words (strict mode's included): no binding may take one of these
// names. The one list the project has: Python reads it too (`_core.RESERVED_WORDS`).
inline constexpr const char* kReservedWords[] = {
    "await",     "break",  "case",     "catch",  "class",      "const",   "continue",  "debugger",
    "default",   "delete", "do",       "else",   "enum",       "export",  "extends",   "false",
    "finally",   "for",    "function", "if",     "implements", "import",  "in",        "instanceof",
    "interface", "let",    "new",      "null",   "package",    "private", "protected", "public",
    "return",    "static", "super",    "switch", "this",       "throw",   "true",      "try",
    "typeof",    "var",    "void",     "while",  "with",       "yield"};

// Names every realm binds to fixed values, which no context key may shadow.
inline constexpr const char* kValueGlobals[] = {"undefined", "NaN", "Infinity", "arguments",
                                                "eval"};

// Whether `word` is an identifier (ASCII letters, digits, _ and $; not starting with a digit)
// that is neither a reserved word nor one of the value globals.
bool IsPlainIdentifier(std::string_view word);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_REALM_IDENTIFIERS_H_
