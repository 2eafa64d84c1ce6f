#ifndef CODE_INTERPRETER_CORE_RUN_CODE_COMPILER_H_
#define CODE_INTERPRETER_CORE_RUN_CODE_COMPILER_H_

#include <v8.h>

#include <string_view>

#include "core/isolate/script_cache.h"
#include "core/run/outcome_writer.h"

namespace ci {

/** Code compiled in the form it needs, ready to be cached (core/isolate/script_cache.h). */
struct CompiledCode {
  v8::Local<v8::UnboundScript> script;
  CodeForm form = CodeForm::kScript;
  // For the function forms: the length of the wrapper's source, in V8 string units.
  int wrapper_length = 0;
};

/**
 * Compiles code as a script or, when V8 says it needs one (a top-level `return`, `await`), as
 * a function body or an async function body, and binds what was compiled to a context.
 *
 * A function body is compiled once as a function body (ScriptCompiler::CompileFunction), which
 * proves it is one: text that would close the function and run on its own (`return 1 }); ...`)
 * is a SyntaxError there. Only then is the wrapper that the cache keeps across contexts
 * compiled; its prefix sits on a line of its own and its origin starts at line -1, so positions
 * are the caller's. V8 has no such compile for an async body. Where it offers side-effect-free
 * runs, the new wrapper is run once that way: one function expression has no side effects, so
 * code after an early close (`await x }); ...`) is stopped before it changes anything. Binding
 * a wrapper also checks that the function it evaluated to spans it whole, which on other V8s
 * is the only check, after such code ran (in a new or persistent context of its own; recycled
 * contexts never take async bodies).
 */
class CodeCompiler {
 public:
  explicit CodeCompiler(OutcomeWriter& writer) : writer_(writer) {}

  // False with the SyntaxError (or stop) recorded in the writer.
  bool Compile(std::string_view code, CompiledCode* out);
  // The function a function-form entry evaluates to in the entered context, without running
  // any of the body. False with the outcome written when it is not one whole function.
  bool BindFunction(const CompiledCode& code, v8::Local<v8::Function>* function);
  // What the cache keeps of compiled code, as compiled code again.
  static CompiledCode FromCache(v8::Isolate* isolate, const CachedScript& cached);

  // The script as one block (`{` code `}`), for recycled contexts: top-level let, const and
  // class then live in the block's scope instead of the script scope, which V8's side-effect
  // check would refuse to write. Same origin and positions as the script itself.
  static v8::MaybeLocal<v8::UnboundScript> CompileAsBlock(v8::Isolate* isolate,
                                                          std::string_view code);
  // Whether a script may declare top-level let/const/class. Deliberately crude: any
  // occurrence of those words, even in a string, counts.
  static bool MayDeclareLexically(std::string_view code);

 private:
  bool CompileForm(std::string_view code, CodeForm form, CompiledCode* out);
  // Whether code that compiled in `form` uses `await` where only the async form makes it
  // the keyword.
  bool AwaitsAsIdentifier(std::string_view code, CodeForm form);
  // Where V8 offers side-effect-free runs, runs an async body's new wrapper once that way.
  bool ProveAsyncBody(const CompiledCode& code);
  // Writes the outcome of a body that closes the function it runs in: false.
  bool ClosesItsFunction();

  OutcomeWriter& writer_;
};

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_RUN_CODE_COMPILER_H_
