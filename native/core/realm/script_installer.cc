#include "core/realm/script_installer.h"

namespace ci {

bool ScriptInstaller::Install(v8::Local<v8::Context> context) {
  if (script_.IsEmpty()) {
    v8::Local<v8::String> text;
    v8::Local<v8::UnboundScript> script;
    if (!v8::String::NewFromUtf8(isolate_, source_).ToLocal(&text)) {
      return false;
    }
    v8::ScriptCompiler::Source source(text);
    if (!v8::ScriptCompiler::CompileUnboundScript(isolate_, &source).ToLocal(&script)) {
      return false;
    }
    script_.Reset(isolate_, script);
  }
  v8::Local<v8::Value> function;
  v8::Local<v8::String> name;
  v8::Local<v8::Value> target;
  if (!script_.Get(isolate_)->BindToCurrentContext()->Run(context).ToLocal(&function) ||
      !function->IsFunction() || !v8::String::NewFromUtf8(isolate_, global_).ToLocal(&name) ||
      !context->Global()->Get(context, name).ToLocal(&target) || !target->IsObject()) {
    return false;
  }
  return !function.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 1, &target).IsEmpty();
}

}  // namespace ci
