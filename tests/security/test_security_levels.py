import sys
import time

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import JavaScriptError, SecurityViolation, create_sandbox


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


def test_strict_has_no_timers_and_no_webassembly() -> None:
    with create_sandbox(security_level="strict") as box:
        assert (
            box.interpret("[typeof setTimeout, typeof WebAssembly]") == '["undefined","undefined"]'
        )


def test_moderate_timers_run_and_are_awaited() -> None:
    with create_sandbox(security_level="moderate") as box:
        code = """
            const order = [];
            setTimeout(() => order.push('late'), 30);
            setTimeout(() => order.push('early'), 5);
            return new Promise(resolve => setTimeout(() => resolve(order), 60));
        """
        started = time.monotonic()
        assert box.interpret(code, return_raw_result=True) == ["early", "late"]
        assert time.monotonic() - started >= 0.055


def test_moderate_intervals_can_be_cleared_and_take_arguments() -> None:
    with create_sandbox(security_level="moderate") as box:
        code = """
            let ticks = 0;
            const id = setInterval((step) => {
                ticks += step;
                if (ticks >= 3) clearInterval(id);
            }, 1, 1);
            return new Promise(r => setTimeout(() => r(ticks), 50));
        """
        assert box.interpret(code) == "3"


def test_moderate_timer_bounds() -> None:
    with create_sandbox(security_level="moderate", max_execution_time=500) as box:
        with pytest.raises(JavaScriptError, match="pending timers"):
            box.interpret("for (let i = 0; i < 2000; i++) setTimeout(() => {}, 0)")
        with pytest.raises(JavaScriptError, match="limit"):
            box.interpret("setTimeout(() => {}, 10_000)")
        with pytest.raises(JavaScriptError, match="must be a function"):
            box.interpret("setTimeout('1 + 1', 0)")


def test_a_forgotten_interval_ends_at_the_deadline() -> None:
    from code_interpreter import ExecutionTimeout

    with create_sandbox(security_level="moderate", max_execution_time=100) as box:
        with pytest.raises(ExecutionTimeout):
            box.interpret("setInterval(() => {}, 5); 1")
        assert box.interpret("1") == "1"


def test_timers_of_one_execution_never_fire_in_the_next() -> None:
    with create_sandbox(security_level="moderate", persistent_context=True) as box:
        box.interpret("globalThis.hits = 0; 1")
        with pytest.raises(JavaScriptError):
            box.interpret("setTimeout(() => { hits++ }, 20); throw new Error('x')")
        time.sleep(0.05)
        assert box.interpret("hits") == "0"


def test_permissive_offers_webassembly_that_compiles() -> None:
    module = "[0, 97, 115, 109, 1, 0, 0, 0]"  # the empty wasm module
    with create_sandbox(security_level="permissive") as box:
        code = (
            f"WebAssembly.Module.exports(new WebAssembly.Module(new Uint8Array({module}))).length"
        )
        assert box.interpret(code) == "0"
    with create_sandbox(security_level="moderate") as box:
        assert box.interpret("typeof WebAssembly") == "undefined"


def test_permissive_webassembly_is_the_full_namespace() -> None:
    with create_sandbox(security_level="permissive") as box:
        names = box.interpret(
            "Object.getOwnPropertyNames(WebAssembly).sort().join()", return_raw_result=True
        )
        described = box.interpret(
            "const d = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly');"
            "[d.enumerable, d.writable, d.configurable, String(WebAssembly)]",
            return_raw_result=True,
        )
    for name in ("Global", "Instance", "Memory", "Module", "Table", "compile", "validate"):
        assert name in names.split(",")
    assert described == [False, True, True, "[object WebAssembly]"]


@pytest.mark.parametrize("level", ["strict", "moderate", "permissive"])
def test_asm_js_modules_run_at_every_level(level: str) -> None:
    code = (
        "function m(stdlib) { 'use asm'; var imul = stdlib.Math.imul;"
        " function f(x) { x = x | 0; return imul(x, 3) | 0 } return { f: f } }"
        " m({ Math: Math }).f(14)"
    )
    with create_sandbox(security_level=level) as box:
        assert box.interpret(code) == "42"


def test_custom_allowed_globals_remove_everything_else() -> None:
    custom = {"allowed_globals": ["console", "Math", "JSON", "setTimeout"]}
    with create_sandbox(security_level="custom", custom_security=custom) as box:
        assert (
            box.interpret(
                "[typeof Math, typeof JSON, typeof console, typeof setTimeout, typeof Date,"
                " typeof Object, typeof clearTimeout]"
            )
            == '["object","object","object","function","undefined","undefined","undefined"]'
        )
        assert box.interpret("[1, 2].map(x => x * 2)") == "[2,4]"  # literals still work


@pytest.mark.parametrize(
    ("level", "limit"), [("strict", 10_000), ("moderate", 50_000), ("permissive", 1_000_000)]
)
def test_code_length_limits_by_level(level: str, limit: int) -> None:
    with create_sandbox(security_level=level) as box:
        box.interpret("1" + " " * (limit - 1))
        with pytest.raises(SecurityViolation, match="max_code_length"):
            box.interpret("1" + " " * limit)


def test_line_limits_by_level() -> None:
    with create_sandbox(security_level="strict") as box:
        box.interpret("1\n" * 499 + "1")
        with pytest.raises(SecurityViolation, match="max_lines"):
            box.interpret("1\n" * 500 + "1")
