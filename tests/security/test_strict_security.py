import pytest

from code_interpreter import JavaScriptError, Sandbox, SecurityViolation


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
