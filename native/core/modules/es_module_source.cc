#include "core/modules/es_module_source.h"

#include <algorithm>
#include <set>
#include <utility>

#include "core/engine/import_syntax.h"
#include "core/modules/es_module_source_checks.h"

namespace ci {
namespace {

// Words after which an expression goes on (no statement can end there).
bool ExpectsOperand(std::string_view word) {
  for (std::string_view keyword :
       {"return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case",
        "do", "else", "yield", "await", "extends", "const", "let", "var"}) {
    if (word == keyword) {
      return true;
    }
  }
  return false;
}

// Reads and blanks a module's import and export declarations, around EsModuleTokens' checks.
class Reader : private EsModuleTokens {
 public:
  explicit Reader(std::string_view s) : EsModuleTokens(s) {}

  std::optional<EsModuleSource> Read(std::string* why_not) {
    // Every token first: the declarations read below skip over the expressions in them.
    if (const char* reason = UnsupportedSyntax()) {
      return Refuse(why_not, reason);
    }
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const SourceToken& token = tokens_[i];
      if (token.kind != SourceToken::kIdentifier || token.after_dot) {
        continue;
      }
      const std::string_view word = token.text(s_);
      if (word == "import" && Is(i + 1, "(")) {
        continue;  // import() works from a script too: V8 names the file that asks
      }
      if (token.depth != 0 || (word != "import" && word != "export")) {
        continue;
      }
      size_t after = i;
      if (word == "import") {
        std::optional<ImportDeclaration> declaration = ParseImportDeclaration(s_, tokens_, &after);
        if (!declaration || declaration->has_attributes || !AddImport(*declaration)) {
          return Refuse(why_not, "an import declaration is not in a form read here");
        }
        Blank(declaration->start, declaration->end);
      } else if (!ReadExport(i, &after)) {
        return Refuse(why_not, "an export declaration is not in a form read here");
      }
      i = after - 1;
    }
    if (!NoLaterWrites(checked_, declarations_)) {
      return Refuse(why_not, "an exported binding is written after its declaration");
    }
    source_.body = Edited();
    return std::move(source_);
  }

 private:
  static std::optional<EsModuleSource> Refuse(std::string* why_not, std::string reason) {
    if (why_not != nullptr) {
      *why_not = std::move(reason);
    }
    return std::nullopt;
  }

  size_t Request(const std::string& specifier) {
    auto found = std::find(source_.requests.begin(), source_.requests.end(), specifier);
    if (found != source_.requests.end()) {
      return static_cast<size_t>(found - source_.requests.begin());
    }
    source_.requests.push_back(specifier);
    return source_.requests.size() - 1;
  }

  // A name as an import or export clause writes it: an identifier, or a plain string.
  static std::optional<std::string> ClauseName(std::string_view token_text, bool string) {
    if (string) {
      return PlainStringValue(token_text);
    }
    return std::string(token_text);
  }

  // The clause name that tokens[at] is; empty when it is none.
  std::optional<std::string> ClauseNameAt(size_t at) const {
    if (at >= tokens_.size() || (tokens_[at].kind != SourceToken::kIdentifier &&
                                 tokens_[at].kind != SourceToken::kString)) {
      return std::nullopt;
    }
    return ClauseName(Text(at), tokens_[at].kind == SourceToken::kString);
  }

  bool AddImport(const ImportDeclaration& declaration) {
    std::optional<std::string> specifier = PlainStringValue(declaration.specifier);
    if (!specifier) {
      return false;
    }
    const size_t request = Request(*specifier);
    if (!declaration.default_name.empty()) {
      source_.imports.push_back({request, "default", declaration.default_name});
    }
    if (!declaration.namespace_name.empty()) {
      source_.imports.push_back({request, "*", declaration.namespace_name});
    }
    for (const ImportBinding& binding : declaration.named) {
      const bool string = binding.imported[0] == '"' || binding.imported[0] == '\'';
      std::optional<std::string> name = ClauseName(binding.imported, string);
      if (!name) {
        return false;
      }
      source_.imports.push_back({request, *name, binding.local});
    }
    return true;
  }

  // `export ...` at tokens[i]; *after is set to the first token after what was read.
  bool ReadExport(size_t i, size_t* after) {
    const size_t keyword = i + 1;
    if (keyword >= tokens_.size()) {
      return false;
    }
    const std::string_view next = Text(keyword);
    if (next == "default") {
      return ReadDefaultExport(i, after);
    }
    if (next == "*" || next == "{") {
      return ReadExportClause(i, after);
    }
    if (next == "var" || next == "let" || next == "const") {
      Blank(tokens_[i].start, End(i));
      return ReadDeclarators(keyword + 1, next != "const", after);
    }
    size_t at = keyword;
    if (next == "async" && Is(at + 1, "function") && !NewlineBefore(at + 1)) {
      ++at;
    }
    if (Is(at, "function") || Is(at, "class")) {
      const bool function = Is(at, "function");
      size_t name = at + 1;
      if (function && Is(name, "*")) {
        ++name;
      }
      if (!IsName(name) || (!function && Is(name, "extends"))) {
        return false;
      }
      Blank(tokens_[i].start, End(i));
      source_.local_exports.push_back({std::string(Text(name)), std::string(Text(name))});
      checked_.insert(std::string(Text(name)));
      *after = name + 1;
      return true;
    }
    return false;
  }

  bool ReadDefaultExport(size_t i, size_t* after) {
    const size_t word = i + 1;
    size_t at = word + 1;
    if (Is(at, "async") && Is(at + 1, "function") && !NewlineBefore(at + 1)) {
      ++at;
    }
    if (Is(at, "function") || Is(at, "class")) {
      const bool function = Is(at, "function");
      size_t name = at + 1;
      if (function && Is(name, "*")) {
        ++name;
      }
      Blank(tokens_[i].start, End(word));
      if (IsName(name) && !(!function && Is(name, "extends"))) {
        source_.local_exports.push_back({"default", std::string(Text(name))});
        checked_.insert(std::string(Text(name)));
      } else {
        // An anonymous declaration still hoists as one: it gets a name the linker turns back
        // into "default".
        edits_.push_back({End(name - 1), End(name - 1), " " + std::string(kDefaultLocal)});
        source_.local_exports.push_back({"default", std::string(kDefaultLocal)});
      }
      *after = name;
      return true;
    }
    // `export default <expression>`: 14 characters either way, so columns stay.
    edits_.push_back({tokens_[i].start, End(word), "const " + std::string(kDefaultLocal) + " ="});
    source_.local_exports.push_back({"default", std::string(kDefaultLocal)});
    *after = word + 1;
    return true;
  }

  // `export * [as name] from 'm'` and `export { a, b as c } [from 'm']`.
  bool ReadExportClause(size_t i, size_t* after) {
    size_t at = i + 1;
    struct Entry {
      std::string local;
      std::string name;
      bool local_is_string;
    };
    std::vector<Entry> entries;
    bool star = false;
    std::string star_name;
    if (Is(at, "*")) {
      star = true;
      ++at;
      if (Is(at, "as")) {
        std::optional<std::string> name = ClauseNameAt(++at);
        if (!name) {
          return false;
        }
        star_name = *name;
        ++at;
      }
    } else {
      ++at;  // `{`
      while (!Is(at, "}")) {
        std::optional<std::string> local = ClauseNameAt(at);
        if (!local) {
          return false;
        }
        Entry entry{*local, *local, tokens_[at].kind == SourceToken::kString};
        ++at;
        if (Is(at, "as")) {
          std::optional<std::string> name = ClauseNameAt(++at);
          if (!name) {
            return false;
          }
          entry.name = *name;
          ++at;
        }
        entries.push_back(std::move(entry));
        if (Is(at, ",")) {
          ++at;
        } else if (!Is(at, "}")) {
          return false;
        }
      }
      ++at;  // `}`
    }
    std::optional<size_t> request;
    if (Is(at, "from")) {
      ++at;
      if (at >= tokens_.size() || tokens_[at].kind != SourceToken::kString) {
        return false;
      }
      std::optional<std::string> specifier = PlainStringValue(Text(at));
      if (!specifier) {
        return false;
      }
      request = Request(*specifier);
      ++at;
      if (Is(at, "with") || Is(at, "assert")) {
        return false;
      }
    } else if (star) {
      return false;
    }
    size_t end = End(at - 1);
    if (Is(at, ";")) {
      end = End(at);
      ++at;
    }
    Blank(tokens_[i].start, end);
    *after = at;
    if (star) {
      if (star_name.empty()) {
        source_.star_exports.push_back(*request);
      } else {
        source_.reexports.push_back({star_name, *request, "*"});
      }
      return true;
    }
    for (Entry& entry : entries) {
      if (request) {
        source_.reexports.push_back({entry.name, *request, entry.local});
      } else {
        if (entry.local_is_string) {
          return false;  // only a re-export may name a string
        }
        checked_.insert(entry.local);
        source_.local_exports.push_back({entry.name, entry.local});
      }
    }
    return true;
  }

  // The declarators after `export var|let|const`: plain names, each with an optional
  // initializer, up to the statement's end (a semicolon, or a line break where a new
  // statement starts).
  bool ReadDeclarators(size_t at, bool reassignable, size_t* after) {
    while (true) {
      if (!IsName(at) || tokens_[at].after_dot) {
        return false;  // a destructuring pattern
      }
      const std::string name(Text(at));
      source_.local_exports.push_back({name, name});
      if (reassignable) {
        checked_.insert(name);
      }
      declarations_.insert(at);
      ++at;
      if (Is(at, "=") && IsAssignment(at)) {
        const int depth = tokens_[at].depth;
        int brackets = 0;
        for (++at; at < tokens_.size(); ++at) {
          const SourceToken& token = tokens_[at];
          if (token.depth != depth) {
            continue;
          }
          const std::string_view text = Text(at);
          if (brackets == 0 && (text == ";" || text == "," || StatementStartsAt(at))) {
            break;
          }
          if (text == "[") {
            ++brackets;
          } else if (text == "]") {
            --brackets;
          }
        }
      }
      if (Is(at, ",")) {
        ++at;
        continue;
      }
      if (Is(at, ";")) {
        ++at;
      }
      *after = at;
      return true;
    }
  }

  // Whether a line break before tokens[at] ends the statement before it (automatic
  // semicolon insertion), as near as tokens tell: an expression has ended and a word or
  // literal that cannot continue it follows.
  bool StatementStartsAt(size_t at) const {
    if (!NewlineBefore(at)) {
      return false;
    }
    const SourceToken& before = tokens_[at - 1];
    const std::string_view previous = Text(at - 1);
    const bool ended = before.kind == SourceToken::kString ||
                       (before.kind == SourceToken::kLiteral && previous[0] != '`') ||
                       (before.kind == SourceToken::kIdentifier && !ExpectsOperand(previous)) ||
                       previous == ")" || previous == "]" || previous == "}";
    const SourceToken& token = tokens_[at];
    const std::string_view text = Text(at);
    const bool starts = token.kind == SourceToken::kString ||
                        (token.kind == SourceToken::kLiteral && text[0] != '`' && text[0] != '/') ||
                        (token.kind == SourceToken::kIdentifier && text != "in" &&
                         text != "instanceof" && text != "of");
    return ended && starts;
  }

  void Blank(size_t start, size_t end) { edits_.push_back({start, end, ""}); }

  // The source with every edit applied: a replacement, then the rest of what it replaced
  // as spaces, line breaks kept.
  std::string Edited() {
    std::sort(edits_.begin(), edits_.end(),
              [](const Edit& a, const Edit& b) { return a.start < b.start; });
    std::string text;
    text.reserve(s_.size() + 64);
    size_t copied = 0;
    for (const Edit& edit : edits_) {
      text.append(s_.substr(copied, edit.start - copied));
      text.append(edit.replacement);
      for (size_t at = edit.start + std::min(edit.replacement.size(), edit.end - edit.start);
           at < edit.end; ++at) {
        text.push_back(s_[at] == '\n' || s_[at] == '\r' ? s_[at] : ' ');
      }
      copied = edit.end;
    }
    text.append(s_.substr(copied));
    return text;
  }

  struct Edit {
    size_t start;
    size_t end;
    std::string replacement;
  };

  EsModuleSource source_;
  std::vector<Edit> edits_;
  std::set<std::string> checked_;  // exported bindings a later write would change
  std::set<size_t> declarations_;  // tokens that declare an exported let or var
};

}  // namespace

std::optional<EsModuleSource> ReadEsModuleSource(std::string_view body, std::string* why_not) {
  return Reader(body).Read(why_not);
}

}  // namespace ci
