"""Scripts that try to keep the CPU past the deadline. Plain loops, the try/finally loop,
the catastrophic regex, the microtask chain, the sort comparator and looping getters on the
result are pinned in tests/limits/test_timeouts.py; these are the other ways."""

from __future__ import annotations

import time

import pytest

from code_interpreter import (
    ConversionError,
    ExecutionTimeout,
    JavaScriptError,
    MemoryLimitExceeded,
    Sandbox,
)

# Generous: proves "did not hang", not how fast the watchdog is.
RETURNS_WITHIN_S = 5.0

SPINNERS = {
    "loop in finally after a loop in try": "try { for (;;) {} } finally { for (;;) {} }",
    "generator whose finally loops": """
        function* g() { try { for (;;) yield 1 } finally { for (;;) {} } }
        for (const x of g()) {}
    """,
    "stack overflow swallowed and retried": "function f() { try { f() } catch (e) { f() } } f()",
    "catch that loops after termination-like errors": """
        for (;;) { try { null.x } catch (e) { continue } }
    """,
    "await loop": "for (;;) await null",
    "async generator flood": """
        async function* g() { for (;;) yield 1 }
        (async () => { for await (const x of g()) {} })()
    """,
    "promise then chain growing without end": """
        let p = Promise.resolve(); for (;;) { p = p.then(() => {}); await null }
    """,
    "nested regex backtracking": "/(x+x+)+y/.test('x'.repeat(40))",
    "regex with catastrophic alternation": "/^(a|a?)+$/.test('a'.repeat(50) + 'b')",
    "sort whose comparator loops": "[3, 2, 1].sort(() => { for (;;) {} })",
    "getter reached by JSON.stringify of the result": ("({ a: [{ get deep() { for (;;) {} } }] })"),
    "proxy get trap on the result": "new Proxy({ a: 1 }, { get() { for (;;) {} } })",
    "toJSON of a nested value": "({ a: { toJSON() { for (;;) {} } } })",
    "string replace callback": "'a'.repeat(10).replace(/a/g, () => { for (;;) {} })",
    "Array.from with an endless iterator": (
        "Array.from({ [Symbol.iterator]: function* () { for (;;) yield 1 } })"
    ),
    "tagged template that loops": "((s) => { for (;;) {} })`x`",
    "Reflect.ownKeys on a looping proxy": (
        "Reflect.ownKeys(new Proxy({}, { ownKeys() { for (;;) {} } }))"
    ),
    "label continue from finally": (
        "outer: for (;;) { try { break outer } finally { continue outer } }"
    ),
}


@pytest.mark.parametrize("code", SPINNERS.values(), ids=SPINNERS.keys())
def test_spinning_script_times_out_and_the_sandbox_goes_on(bare: Sandbox, code: str) -> None:
    started = time.monotonic()
    with pytest.raises(ExecutionTimeout):
        bare.interpret(code, timeout=150)
    assert time.monotonic() - started < RETURNS_WITHIN_S
    assert bare.interpret("[1, 2, 3].map(x => x * 2).join()") == "2,4,6"


@pytest.mark.parametrize("raw", [False, True], ids=["stringified", "raw"])
def test_result_read_that_loops_times_out_in_both_result_modes(bare: Sandbox, raw: bool) -> None:
    code = (
        "const o = {};"
        " Object.defineProperty(o, 'x', { enumerable: true, get() { for (;;) {} } }); o"
    )
    with pytest.raises(ExecutionTimeout):
        bare.interpret(code, timeout=150, return_raw_result=raw)


def test_atomics_wait_is_unreachable(bare: Sandbox) -> None:
    with pytest.raises(JavaScriptError) as caught:
        bare.interpret("Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)")
    assert caught.value.name == "ReferenceError"
    assert bare.interpret("typeof Atomics + ' ' + typeof SharedArrayBuffer") == (
        "undefined undefined"
    )


def test_deep_recursion_is_a_range_error_not_a_crash(bare: Sandbox) -> None:
    for code in [
        "function f() { return f() } f()",
        "const o = {}; o.toString = () => `${o}`; `${o}`",
        "(function f(n) { return n ? [f(n - 1)] : 1 })(1e6)",
        "[1].map(function f(x) { return [x].map(f) })",
    ]:
        with pytest.raises(JavaScriptError) as caught:
            bare.interpret(code)
        assert caught.value.name == "RangeError", code
    assert bare.interpret("'still fine'") == "still fine"


def test_million_deep_json_parses_but_cannot_come_back(bare: Sandbox) -> None:
    # V8's JSON parser is iterative; the way back out (stringify or our reader) is bounded.
    # A million nested arrays sit close to a 64 MB heap: a memory-limit hit is also an answer.
    code = "JSON.parse('['.repeat(1e6) + ']'.repeat(1e6))"
    with pytest.raises((ConversionError, MemoryLimitExceeded)) as caught:
        bare.interpret(code)
    assert caught.type is MemoryLimitExceeded or "Maximum call stack" in str(caught.value)
    with pytest.raises((ConversionError, MemoryLimitExceeded)) as caught:
        bare.interpret(code, return_raw_result=True)
    assert caught.type is MemoryLimitExceeded or "nested more than" in str(caught.value)


def test_many_short_timeouts_in_a_row_never_wedge_the_isolate(bare: Sandbox) -> None:
    for i in range(50):
        with pytest.raises(ExecutionTimeout):
            bare.interpret(list(SPINNERS.values())[i % len(SPINNERS)], timeout=5)
    assert bare.interpret("40 + 2") == "42"
