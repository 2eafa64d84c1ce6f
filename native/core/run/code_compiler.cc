#include "core/run/code_compiler.h"

#include <cctype>
#include <string>

#include "core/engine/compat/script_origin.h"
#include "core/engine/side_effect_free.h"
#include "core/engine/source_tokens.h"
#include "core/engine/v8_text.h"

namespace ci {
namespace {

// Whether `code` has the word `await` (outside an async function it is a plain identifier,
// so `(await x)` fails as "Unexpected identifier" rather than naming await).
bool MentionsAwait(std::string_view code) {
  auto is_word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
  };
  for (size_t at = code.find("await"); at != std::string_view::npos;
       at = code.find("await", at + 1)) {
    const bool starts = at == 0 || !is_word(code[at - 1]);
    const bool ends = at + 5 >= code.size() || !is_word(code[at + 5]);
    if (starts && ends) {
      return true;
    }
  }
  return false;
}

// Which form to try after code failed to compile with `message` in form `tried`, if any.
bool RetryForm(const std::string& message, std::string_view code, CodeForm tried, CodeForm* next) {
  const bool illegal_return = message.find("Illegal return") != std::string::npos;
  // Outside an async function `await x` is an identifier followed by another (so V8 names no
  // await in its message: "Unexpected identifier", "missing ) after argument list", ...).
  const bool await_outside = message.find("await is only valid") != std::string::npos ||
                             message.find("Unexpected reserved word") != std::string::npos ||
                             MentionsAwait(code);
  if (tried == CodeForm::kScript && illegal_return) {
    *next = CodeForm::kFunctionBody;
    return true;
  }
  if (tried != CodeForm::kAsyncFunctionBody && await_outside) {
    *next = CodeForm::kAsyncFunctionBody;
    return true;
  }
  return false;
}

v8::MaybeLocal<v8::UnboundScript> CompileText(v8::Isolate* isolate,
                                              v8::Local<v8::String> text,
                                              int line_offset) {
  v8::ScriptOrigin origin = MakeScriptOrigin(isolate, NewString(isolate, kSourceName), line_offset);
  v8::ScriptCompiler::Source source(text, origin);
  return v8::ScriptCompiler::CompileUnboundScript(isolate, &source);
}

}  // namespace

bool CodeCompiler::Compile(std::string_view code, CompiledCode* out) {
  CodeForm form = CodeForm::kScript;
  while (!CompileForm(code, form, out)) {
    v8::TryCatch& try_catch = writer_.try_catch();
    if (writer_.Stopped() || !try_catch.HasCaught()) {
      return writer_.FailWithException();
    }
    CodeForm next;
    if (!RetryForm(ToUtf8(writer_.isolate(), try_catch.Message()->Get()), code, form, &next)) {
      return writer_.FailWithException();
    }
    try_catch.Reset();
    form = next;
  }
  if (form != CodeForm::kAsyncFunctionBody && AwaitsAsIdentifier(code, form)) {
    // `await (f)()` and `await [p][0]` compile outside an async function as calls of, or
    // indexes into, a variable named await: the code means to await.
    CompiledCode async_code;
    v8::TryCatch try_catch(writer_.isolate());
    if (CompileForm(code, CodeForm::kAsyncFunctionBody, &async_code)) {
      *out = async_code;
      form = CodeForm::kAsyncFunctionBody;
    } else if (writer_.Stopped() || try_catch.HasTerminated()) {
      try_catch.ReThrow();
      return writer_.FailWithException();
    }
  }
  out->form = form;
  return form != CodeForm::kAsyncFunctionBody || ProveAsyncBody(*out);
}

bool CodeCompiler::ProveAsyncBody(const CompiledCode& code) {
  if (!kSideEffectFreeEvaluation || InSideEffectFreeEvaluation()) {
    return true;  // BindFunction's check is all (a run in that mode is stopped anyway)
  }
  v8::Isolate* isolate = writer_.isolate();
  {
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::Value> completion;
    if (RunScriptWithoutSideEffects(isolate, code.script->BindToCurrentContext())
            .ToLocal(&completion)) {
      return true;
    }
    if (!StoppedForASideEffect(isolate, try_catch)) {
      try_catch.ReThrow();
      return writer_.FailWithException();
    }
  }
  return ClosesItsFunction();
}

bool CodeCompiler::ClosesItsFunction() {
  writer_.try_catch().Reset();
  writer_.outcome()->kind = OutcomeKind::kJsError;
  writer_.outcome()->error =
      JsErrorInfo{"SyntaxError", "the code closes the function it runs in", "", 0, 0};
  writer_.outcome()->error.stack = "SyntaxError: the code closes the function it runs in";
  return false;
}

bool CodeCompiler::AwaitsAsIdentifier(std::string_view code, CodeForm form) {
  if (!MentionsAwait(code)) {
    return false;
  }
  // An `await` written with an escape is the same identifier where await is one, and a
  // SyntaxError where it is the keyword (inside an async function): the variant that compiles
  // finds an await the code uses as a variable.
  constexpr int kMostChecked = 8;
  int checked = 0;
  for (const SourceToken& token : TokenizeSource(code)) {
    if (token.kind != SourceToken::kIdentifier || token.after_dot || token.text(code) != "await") {
      continue;
    }
    if (++checked > kMostChecked) {
      break;
    }
    std::string variant(code);
    variant.replace(token.start, token.length, "awai\\u0074");
    CompiledCode scratch;
    v8::TryCatch try_catch(writer_.isolate());
    if (CompileForm(variant, form, &scratch)) {
      return true;
    }
    if (writer_.Stopped() || try_catch.HasTerminated()) {
      try_catch.ReThrow();
      return false;
    }
  }
  return false;
}

bool CodeCompiler::CompileForm(std::string_view code, CodeForm form, CompiledCode* out) {
  v8::Isolate* isolate = writer_.isolate();
  v8::Local<v8::String> text;
  if (form == CodeForm::kScript) {
    return NewText(isolate, code).ToLocal(&text) &&
           CompileText(isolate, text, 0).ToLocal(&out->script);
  }
  if (form == CodeForm::kFunctionBody) {
    v8::ScriptOrigin origin = MakeScriptOrigin(isolate, NewString(isolate, kSourceName));
    if (!NewText(isolate, code).ToLocal(&text)) {
      return false;
    }
    v8::ScriptCompiler::Source source(text, origin);
    v8::Local<v8::Function> proof;
    if (!v8::ScriptCompiler::CompileFunction(writer_.context(), &source).ToLocal(&proof)) {
      return false;
    }
  }
  std::string wrapped =
      form == CodeForm::kFunctionBody ? "(function () {\n" : "(async function () {\n";
  wrapped.append(code).append("\n})");
  if (!NewText(isolate, wrapped).ToLocal(&text)) {
    return false;
  }
  out->wrapper_length = text->Length();
  return CompileText(isolate, text, -1).ToLocal(&out->script);
}

CompiledCode CodeCompiler::FromCache(v8::Isolate* isolate, const CachedScript& cached) {
  return CompiledCode{cached.script.Get(isolate), cached.form, cached.wrapper_length};
}

bool CodeCompiler::BindFunction(const CompiledCode& code, v8::Local<v8::Function>* function) {
  v8::Local<v8::Context> context = writer_.context();
  v8::Local<v8::Value> completion;
  if (!code.script->BindToCurrentContext()->Run(context).ToLocal(&completion)) {
    return writer_.FailWithException();
  }
  // The wrapper is `(` function `)`: the function must span all of it but those two.
  v8::Local<v8::String> text;
  if (!completion->IsFunction() ||
      (code.form == CodeForm::kAsyncFunctionBody &&
       (!completion.As<v8::Function>()->FunctionProtoToString(context).ToLocal(&text) ||
        text->Length() != code.wrapper_length - 2))) {
    return !writer_.Stopped() && ClosesItsFunction();
  }
  *function = completion.As<v8::Function>();
  return true;
}

v8::MaybeLocal<v8::UnboundScript> CodeCompiler::CompileAsBlock(v8::Isolate* isolate,
                                                               std::string_view code) {
  std::string block = "{\n";
  block.append(code).append("\n}");
  v8::Local<v8::String> text;
  if (!NewText(isolate, block).ToLocal(&text)) {
    return v8::MaybeLocal<v8::UnboundScript>();
  }
  return CompileText(isolate, text, -1);
}

bool CodeCompiler::MayDeclareLexically(std::string_view code) {
  constexpr auto npos = std::string_view::npos;
  return code.find("let") != npos || code.find("const") != npos || code.find("class") != npos;
}

}  // namespace ci
