#include "core/modules/commonjs_compiler.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine/compat/script_origin.h"
#include "core/engine/source_tokens.h"
#include "core/engine/v8_text.h"
#include "core/modules/module_loader.h"

namespace ci {
namespace {

// The module function's wrapper: an outer function takes the module scope's names (so a
// module may declare one of them itself), the inner one is Node's. The header has a line of
// its own, and the script's origin starts one line early, so lines in stacks are the file's
// own.
constexpr std::string_view kInnerHeader =
    ") { return function (exports, require, module, __filename, __dirname) {\n";
constexpr std::string_view kFooter = "\n}})";

// What V8 says when a file read as CommonJS is written as an ES module.
bool SaysEsModuleSyntax(const std::string& message) {
  return message.find("Cannot use import statement outside a module") != std::string::npos ||
         message.find("Unexpected token 'export'") != std::string::npos ||
         message.find("Cannot use 'import.meta' outside a module") != std::string::npos;
}

// Whether a source has an import or export declaration at its top level.
bool HasModuleSyntax(std::string_view source) {
  if (source.find("import") == std::string_view::npos &&
      source.find("export") == std::string_view::npos) {
    return false;
  }
  const std::vector<SourceToken> tokens = TokenizeSource(source);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const SourceToken& token = tokens[i];
    if (token.kind != SourceToken::kIdentifier || token.after_dot || token.depth != 0) {
      continue;
    }
    const std::string_view word = token.text(source);
    const std::string_view next = i + 1 < tokens.size() ? tokens[i + 1].text(source) : "";
    if (word == "export" || (word == "import" && next != "(")) {
      return true;  // import.meta included
    }
  }
  return false;
}

}  // namespace

std::string ModuleFunctionHeader(const std::vector<std::string>& scope_names) {
  std::string header = "(function (";
  for (size_t i = 0; i < scope_names.size(); ++i) {
    header.append(i == 0 ? "" : ", ").append(scope_names[i]);
  }
  return header.append(kInnerHeader);
}

std::string_view ModuleLoader::Body(std::string_view source) {
  if (source.rfind("\xEF\xBB\xBF", 0) == 0) {
    source.remove_prefix(3);  // a byte-order mark
  }
  if (source.rfind("#!", 0) == 0) {
    // A shebang line is skipped, as Node does; its newline stays, so lines keep their numbers.
    source.remove_prefix(std::min(source.find('\n'), source.size()));
  }
  return source;
}

bool ModuleLoader::NamesWord(std::string_view source, std::string_view name) {
  auto word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
  };
  for (size_t at = source.find(name); at != std::string_view::npos;
       at = source.find(name, at + 1)) {
    const size_t end = at + name.size();
    if ((at == 0 || !word(source[at - 1])) && (end >= source.size() || !word(source[end]))) {
      return true;
    }
  }
  return false;
}

bool ModuleLoader::IsEsModule(int file) const {
  if (static_cast<size_t>(file) < detected_formats_.size() &&
      detected_formats_[file] != ModuleFormat::kJson) {
    return detected_formats_[file] == ModuleFormat::kEsModule;
  }
  const ModuleFile& source = store_->file(file);
  if (source.format != ModuleFormat::kEsModule) {
    return false;
  }
  // A .js file of a "type": "module" package with neither import nor export is a script a
  // "browser" entry often points to (a UMD build): it runs as CommonJS, as bundlers run it.
  const bool script = source.path.size() > 3 &&
                      source.path.compare(source.path.size() - 3, 3, ".js") == 0 &&
                      !HasModuleSyntax(Body(source.source));
  NoteFormat(file, script ? ModuleFormat::kCommonJs : ModuleFormat::kEsModule);
  return !script;
}

void ModuleLoader::NoteFormat(int file, ModuleFormat format) const {
  if (detected_formats_.size() < store_->files().size()) {
    // kJson: not decided yet.
    detected_formats_.resize(store_->files().size(), ModuleFormat::kJson);
  }
  detected_formats_[file] = format;
}

bool ModuleLoader::CompileCommonJs(v8::Isolate* isolate, int file) {
  auto existing = compiled_.find(file);
  if (existing != compiled_.end() && existing->second.kept()) {
    return true;
  }
  const ModuleFile& source = store_->file(file);
  std::string text;
  const std::string_view body = Body(source.source);
  text.reserve(header_.size() + body.size() + kFooter.size());
  text.append(header_).append(body).append(kFooter);
  v8::Local<v8::String> code;
  v8::Local<v8::String> name;
  if (!NewText(isolate, text).ToLocal(&code) || !NewText(isolate, source.path).ToLocal(&name)) {
    isolate->ThrowException(v8::Exception::RangeError(
        NewString(isolate, "a module's source is too long for this engine")));
    return false;
  }
  v8::ScriptOrigin origin = MakeScriptOrigin(isolate, name, -1);
  v8::ScriptCompiler::Source script_source(code, origin);
  v8::Local<v8::UnboundScript> unbound;
  v8::TryCatch try_catch(isolate);
  if (!v8::ScriptCompiler::CompileUnboundScript(isolate, &script_source).ToLocal(&unbound)) {
    if (try_catch.HasCaught() && !try_catch.HasTerminated() &&
        SaysEsModuleSyntax(ToUtf8(isolate, try_catch.Message()->Get()))) {
      // Written as an ES module though its package does not say so: run as one, as bundlers
      // do.
      NoteFormat(file, ModuleFormat::kEsModule);
      return true;
    }
    try_catch.ReThrow();
    return false;  // its SyntaxError propagates to the require
  }
  if (!compiled_[file].Keep(isolate, unbound, code, body, scope_names_)) {
    try_catch.ReThrow();  // the body would not stay inside the wrapper: the require says why
    return false;
  }
  return true;
}

v8::MaybeLocal<v8::Function> ModuleLoader::ModuleFunction(v8::Local<v8::Context> context,
                                                          int file) {
  if (!CompileCommonJs(context->GetIsolate(), file)) {
    return v8::MaybeLocal<v8::Function>();
  }
  return compiled_[file].Run(context, "a module's source is not one CommonJS module body");
}

}  // namespace ci
