from __future__ import annotations

import sys
import time

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import ExecutionTimeout, JavaScriptError, Sandbox, create_sandbox


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


HOSTILE_LOOPS = {
    "plain loop": "while (true) {}",
    "loop swallowing errors in try/finally": """
        while (true) { try { while (true) {} } catch (e) {} finally { continue } }
    """,
    "catastrophic regex": "/^(a+)+$/.test('a'.repeat(40) + '!')",
    "infinite microtask chain": "const spin = () => Promise.resolve().then(spin); spin(); 1",
    "long sort comparator": (
        "Array.from({length: 1e6}, (_, i) => i).sort(() => { while (true) {} })"
    ),
    "async function looping after await": "await null; while (true) {}",
}


@pytest.mark.parametrize("code", HOSTILE_LOOPS.values(), ids=HOSTILE_LOOPS.keys())
def test_hostile_loop_times_out_and_sandbox_keeps_working(sandbox: Sandbox, code: str) -> None:
    started = time.monotonic()
    with pytest.raises(ExecutionTimeout):
        sandbox.interpret(code, timeout=100)
    assert time.monotonic() - started < 2.0
    assert sandbox.interpret("1 + 1") == "2"


@pytest.mark.parametrize("raw", [False, True], ids=["stringified", "raw"])
def test_getter_that_loops_when_the_result_is_read_times_out(sandbox: Sandbox, raw: bool) -> None:
    code = "({ get trap() { while (true) {} } })"
    with pytest.raises(ExecutionTimeout):
        sandbox.interpret(code, timeout=100, return_raw_result=raw)
    assert sandbox.interpret("2 + 2") == "4"


def test_proxy_trap_that_loops_while_the_result_is_read_times_out(sandbox: Sandbox) -> None:
    code = "new Proxy({}, { ownKeys() { while (true) {} } })"
    with pytest.raises(ExecutionTimeout):
        sandbox.interpret(code, timeout=100, return_raw_result=True)


def test_to_json_that_loops_times_out(sandbox: Sandbox) -> None:
    with pytest.raises(ExecutionTimeout):
        sandbox.interpret("({ toJSON() { for (;;) {} } })", timeout=100)


def test_a_late_termination_never_hits_the_next_execution() -> None:
    # Executions that end right around their deadline must not leave a termination pending.
    with create_sandbox(max_execution_time=1000) as box:
        outcomes = {"ok": 0, "timeout": 0}
        for i in range(300):
            try:
                box.interpret(
                    f"let t = Date.now(); while (Date.now() - t < {i % 7}) {{}} 1", timeout=5
                )
                outcomes["ok"] += 1
            except ExecutionTimeout:
                outcomes["timeout"] += 1
            assert box.interpret("'after'", timeout=1000) == "after"
        assert outcomes["ok"] > 0 and outcomes["timeout"] > 0


def test_per_call_timeout_cannot_exceed_the_sandbox_limit() -> None:
    with create_sandbox(max_execution_time=100) as box:
        started = time.monotonic()
        with pytest.raises(ExecutionTimeout):
            box.interpret("while (true) {}", timeout=60_000)
        assert time.monotonic() - started < 2.0


def test_timeout_error_names_the_limit(sandbox: Sandbox) -> None:
    with pytest.raises(ExecutionTimeout, match="50 ms"):
        sandbox.interpret("for (;;) {}", timeout=50)


SPARSE_HUGE = [
    "a.sort()",
    "a.reverse()",
    "a.indexOf(1)",
    "a.lastIndexOf(1)",
    "a.copyWithin(0, 1)",
    "a.splice(0, 1)",
    "a.shift()",
    "a.unshift(1)",
    "a.slice(1)",
    "a.forEach(x => x)",
    "a.map(x => x)",
    "a.reduce((s, x) => s, 0)",
    "a.flat()",
    "Array.prototype.sort.call({length: 2 ** 32 - 1})",
]


@pytest.mark.parametrize("call", SPARSE_HUGE)
def test_methods_v8_cannot_interrupt_refuse_huge_sparse_arrays(sandbox: Sandbox, call: str) -> None:
    # V8 loops over every index of these without checking for termination; unguarded, a
    # length of 2**32-1 would hold the thread for minutes past any time limit.
    started = time.monotonic()
    with pytest.raises(JavaScriptError, match=r"not allowed in this sandbox"):
        sandbox.interpret(f"const a = []; a.length = 2 ** 32 - 1; {call}", timeout=100)
    assert time.monotonic() - started < 2


def test_guarded_array_methods_still_work(sandbox: Sandbox) -> None:
    code = "[3, 1, 2].sort().concat([4].map(x => x * 2)).filter(x => x > 1).join('-')"
    assert sandbox.interpret(code) == "2-3-8"
