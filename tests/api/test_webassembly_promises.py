"""WebAssembly's promise-returning functions settle (core/realm/webassembly_promises.h): given
bytes, `compile` and `instantiate` compile at once and return a settled promise, where V8 alone
would settle it from a task nothing runs."""

from __future__ import annotations

from code_interpreter import Sandbox, create_sandbox

# (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
ADD_MODULE = (
    "new Uint8Array([0,97,115,109,1,0,0,0,1,7,1,96,2,127,127,1,127,3,2,1,0,7,7,1,3,97,100,100,"
    "0,0,10,9,1,7,0,32,0,32,1,106,11])"
)
# (module (import "env" "f" (func)))
IMPORTING_MODULE = (
    "new Uint8Array([0,97,115,109,1,0,0,0,1,4,1,96,0,0,2,9,1,3,101,110,118,1,102,0,0])"
)


def permissive(isolation: str) -> Sandbox:
    return create_sandbox(security_level="permissive", isolation=isolation)


def test_compile_of_bytes_fulfils_with_a_module(isolation: str) -> None:
    with permissive(isolation) as box:
        code = (
            f"const module = await WebAssembly.compile({ADD_MODULE});"
            " return [module instanceof WebAssembly.Module,"
            " WebAssembly.Module.exports(module)[0].name]"
        )
        assert box.interpret(code) == '[true,"add"]'


def test_instantiate_of_bytes_fulfils_with_module_and_instance(isolation: str) -> None:
    with permissive(isolation) as box:
        code = (
            f"const result = await WebAssembly.instantiate({ADD_MODULE});"
            " return [Object.keys(result).join(), result.module instanceof WebAssembly.Module,"
            " result.instance.exports.add(40, 2)]"
        )
        assert box.interpret(code) == '["module,instance",true,42]'


def test_instantiate_of_a_module_fulfils_with_an_instance(isolation: str) -> None:
    with permissive(isolation) as box:
        code = (
            f"const instance = await WebAssembly.instantiate(new WebAssembly.Module({ADD_MODULE}));"
            " return instance instanceof WebAssembly.Instance && instance.exports.add(1, 2)"
        )
        assert box.interpret(code) == "3"


def test_each_failure_rejects_with_the_error_v8_gives(isolation: str) -> None:
    with permissive(isolation) as box:
        cases = {
            "WebAssembly.compile(new Uint8Array([1, 2, 3]))": "CompileError",
            "WebAssembly.instantiate(new Uint8Array([1, 2, 3]))": "CompileError",
            "WebAssembly.compile(5)": "TypeError",
            "WebAssembly.instantiate()": "TypeError",
            f"WebAssembly.instantiate({IMPORTING_MODULE})": "TypeError",
            f"WebAssembly.instantiate({IMPORTING_MODULE}, {{env: {{f: 1}}}})": "LinkError",
        }
        for call, name in cases.items():
            # A rejection, never a synchronous throw, as the spec has it.
            code = f"const p = {call}; return p.then(() => 'fulfilled', (e) => e.name)"
            assert box.interpret(code) == name, call


def test_the_wrapped_functions_look_as_v8_made_them(isolation: str) -> None:
    with permissive(isolation) as box:
        code = (
            "const {compile, instantiate} = WebAssembly;"
            " return [compile.name, compile.length, instantiate.name, instantiate.length,"
            " String(instantiate).endsWith('{ [native code] }'), typeof instantiate.prototype,"
            " Object.getOwnPropertyDescriptor(WebAssembly, 'compile').enumerable]"
        )
        assert box.interpret(code) == '["compile",1,"instantiate",1,true,"undefined",true]'


def test_fresh_runs_each_get_their_own_wrapped_webassembly(isolation: str) -> None:
    with permissive(isolation) as box:
        # A run that replaces the wrappers does not reach the next run's context.
        box.interpret("WebAssembly.instantiate = () => 'replaced'; return 1")
        code = f"return (await WebAssembly.instantiate({ADD_MODULE})).instance.exports.add(2, 3)"
        assert box.interpret(code) == "5"
