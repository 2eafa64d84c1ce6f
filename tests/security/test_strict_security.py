import pytest

from code_interpreter import JavaScriptError, Sandbox, SecurityViolation

CODE_GENERATION = {
    "eval": "eval('1 + 1')",
    "new Function": "new Function('return 1')()",
    "Function call": "Function('return 1')()",
    "indirect eval": "(0, eval)('1')",
    "constructor chain": "this.constructor.constructor('return 1')()",
    "function constructor chain": "(() => 1).constructor('return 1')()",
    "async function constructor": "(async () => 1).constructor('return 1')()",
    "generator function constructor": "(function* () {}).constructor('yield 1')().next()",
    "setTimeout string": "typeof setTimeout === 'function' ? setTimeout('1') : eval('1')",
}


@pytest.mark.parametrize("code", CODE_GENERATION.values(), ids=CODE_GENERATION.keys())
def test_string_code_generation_throws_eval_error_in_v8(bare: Sandbox, code: str) -> None:
    with pytest.raises(JavaScriptError) as caught:
        bare.interpret(code)
    assert caught.value.name == "EvalError"


@pytest.mark.parametrize("code", CODE_GENERATION.values(), ids=CODE_GENERATION.keys())
def test_strict_refuses_code_generation_early_or_in_v8(sandbox: Sandbox, code: str) -> None:
    # The scanner names the plain forms; the obfuscated ones pass it and V8 refuses them.
    with pytest.raises((SecurityViolation, JavaScriptError)) as caught:
        sandbox.interpret(code)
    if isinstance(caught.value, JavaScriptError):
        assert caught.value.name == "EvalError"


@pytest.mark.parametrize(
    "name",
    [
        "SharedArrayBuffer",
        "Atomics",
        "WebAssembly",
        "require",
        "process",
        "Buffer",
        "setTimeout",
        "setInterval",
        "fetch",
        "XMLHttpRequest",
        "importScripts",
        "module",
        "exports",
    ],
)
def test_host_and_shared_memory_globals_are_absent(bare: Sandbox, name: str) -> None:
    assert bare.interpret(f"typeof globalThis[{name!r}]") == "undefined"


def test_ecmascript_intrinsics_remain(sandbox: Sandbox) -> None:
    code = "[Math, JSON, Date, RegExp, Map, Set, Promise, Proxy, Reflect, Intl].every(Boolean)"
    assert sandbox.interpret(code) == "true"


def test_dynamic_import_is_refused(bare: Sandbox, sandbox: Sandbox) -> None:
    with pytest.raises(JavaScriptError):
        bare.interpret("await import('fs')")
    with pytest.raises(SecurityViolation, match="import"):
        sandbox.interpret("await import('fs')")
