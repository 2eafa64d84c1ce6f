import time

import pytest

from code_interpreter import ExecutionTimeout, Sandbox, create_sandbox

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
