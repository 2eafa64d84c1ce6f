"""Host functions (``expose``): Python callables that script calls by name."""

from __future__ import annotations

import asyncio
import datetime
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import (
    ConfigurationError,
    ExecutionTimeout,
    JavaScriptError,
    MemoryLimitExceeded,
    Sandbox,
    SandboxError,
    SandboxKilled,
    create_async_sandbox,
    create_sandbox,
)
from code_interpreter._host import HostCallInterrupted


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


class LookupFailed(Exception):
    pass


def lookup(symbol: str) -> float:
    prices = {"AAPL": 189.5, "MSFT": 410.25}
    if symbol not in prices:
        raise LookupFailed(f"no price for {symbol}")
    return prices[symbol]


def echo(*values: Any) -> list[Any]:
    return list(values)


@pytest.fixture(params=[False, True], ids=["fresh", "persistent"])
def box(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with create_sandbox(
        expose={"lookup": lookup, "echo": echo, "add": lambda a, b: a + b},
        persistent_context=request.param,
        max_execution_time=2000,
    ) as sandbox:
        yield sandbox


def test_call_and_result(box: Sandbox) -> None:
    assert box.interpret("lookup('AAPL') * 2", return_raw_result=True) == 379.0
    assert box.interpret("add(2, 40)", return_raw_result=True) == 42
    assert box.interpret("add('a', 'b')") == "ab"


def test_values_cross_both_ways_as_copies(box: Sandbox) -> None:
    code = """
      const shared = {n: 1}; shared.self = shared;
      const back = echo(2n ** 70n, new Date(0), new Map([['k', 1]]), new Set([1, 2]),
                        new Uint8Array([1, 2]), [shared, shared], null, undefined, -0, 1.5, 'é');
      return [typeof back[0], back[1] instanceof Date, back[2].k === 1,
              back[3] instanceof Set, back[4].length, back[5][0] === back[5][1],
              back[5][0].self === back[5][0], back[5][0] !== shared, back.slice(6)]
    """
    assert box.interpret(code, return_raw_result=True) == [
        "bigint",
        True,
        True,
        True,
        2,
        True,
        True,
        True,
        [None, None, 0.0, 1.5, "é"],
    ]
    values = box.interpret("echo(new Date(0), 2n ** 70n)", return_raw_result=True)
    assert values == [datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc), 2**70]


def test_python_exception_is_a_js_error_at_the_call_site(box: Sandbox) -> None:
    caught = box.interpret(
        "try { lookup('NOPE') } catch (e) { return [e.name, e.message, e instanceof Error] }",
        return_raw_result=True,
    )
    assert caught == ["LookupFailed", "no price for NOPE", True]


def test_uncaught_host_exception_is_the_cause(box: Sandbox) -> None:
    with pytest.raises(JavaScriptError) as raised:
        box.interpret("const p = lookup('NOPE');\nreturn p")
    error = raised.value
    assert (error.name, error.message) == ("LookupFailed", "no price for NOPE")
    assert isinstance(error.__cause__, LookupFailed)
    assert str(error.__cause__) == "no price for NOPE"
    assert error.stack.startswith("LookupFailed: no price for NOPE\n    at <sandbox>:1:")


def test_result_that_cannot_convert_throws_in_js(box: Sandbox) -> None:
    with create_sandbox(expose={"bad": lambda: object()}) as sandbox:
        name = sandbox.interpret("try { bad() } catch (e) { e.name }")
        assert name == "TypeError"
        assert sandbox.interpret("1 + 1") == "2"


def test_arguments_that_cannot_cross(box: Sandbox) -> None:
    for argument in ["() => 1", "Symbol('s')", "new Proxy({}, {})"]:
        caught = box.interpret(f"try {{ echo({argument}) }} catch (e) {{ e.name }}")
        assert caught == "TypeError"


def test_no_python_object_is_reachable(box: Sandbox) -> None:
    code = """[add.toString(), typeof add.__self__, typeof add.__call__, typeof add.__class__,
               Object.getOwnPropertyNames(add).sort().join(), typeof add.prototype,
               (() => { try { new add(1, 2); return 'constructed' }
                        catch (e) { return e.name } })()]"""
    assert box.interpret(code, return_raw_result=True) == [
        "function add() { [native code] }",
        "undefined",
        "undefined",
        "undefined",
        "length,name",
        "undefined",
        "TypeError",
    ]


def test_fresh_mode_calls_the_host_exactly_once_per_execution() -> None:
    """A call into Python is a side effect V8 cannot certify: a recycled attempt is declined
    before the call, so it is never made twice and never skipped."""
    calls: list[int] = []

    def record(value: int) -> int:
        calls.append(value)
        return len(calls)

    with create_sandbox(expose={"record": record}) as sandbox:
        for i in range(20):
            assert sandbox.interpret("return record(context.i)", {"i": i}) == str(i + 1)
        assert calls == list(range(20))


def test_names_refused() -> None:
    for name in ["not an identifier", "1x", "a-b", "", "class", "return"]:
        with pytest.raises(ConfigurationError, match="not a JavaScript identifier"):
            create_sandbox(expose={name: echo})
    for name in ["Math", "JSON", "console", "context", "require", "setTimeout", "globalThis"]:
        with pytest.raises(ConfigurationError, match="shadow"):
            create_sandbox(expose={name: echo})
    with pytest.raises(ConfigurationError, match="must be callable"):
        create_sandbox(expose={"value": 42})
    with pytest.raises(ConfigurationError, match="dict of name"):
        create_sandbox(expose=[echo])


def test_async_callable_refused_by_the_sync_sandbox() -> None:
    async def fetch_price(symbol: str) -> float:
        return 1.0

    with pytest.raises(ConfigurationError, match="async function"):
        create_sandbox(expose={"fetch_price": fetch_price})


def test_busy_python_is_interrupted_at_the_deadline() -> None:
    seen: list[str] = []

    def spin() -> None:
        try:
            while True:
                pass
        except Exception:
            seen.append("caught by except Exception")
        except HostCallInterrupted:
            seen.append("interrupted")
            raise

    with create_sandbox(expose={"spin": spin}, max_execution_time=300) as sandbox:
        started = time.monotonic()
        with pytest.raises(ExecutionTimeout):
            sandbox.interpret("spin()")
        assert time.monotonic() - started < 5
        assert seen == ["interrupted"]
        assert sandbox.interpret("1 + 1") == "2"


def test_blocking_call_ends_the_execution_when_it_returns() -> None:
    with create_sandbox(
        expose={"nap": lambda: time.sleep(0.6) or "woke"}, max_execution_time=200
    ) as sandbox:
        started = time.monotonic()
        with pytest.raises(ExecutionTimeout):
            sandbox.interpret("nap(); while (true) {}")
        assert 0.55 < time.monotonic() - started < 5
        assert sandbox.interpret("1 + 1") == "2"


def test_kill_while_a_callable_runs() -> None:
    started = threading.Event()

    def slow() -> None:
        started.set()
        while True:
            time.sleep(0.01)

    sandbox = create_sandbox(expose={"slow": slow}, max_execution_time=60_000)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            sandbox.interpret("slow()")
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(10)
    killed_at = time.monotonic()
    sandbox.kill(graceful=False)
    thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - killed_at < 5
    assert len(outcome) == 1 and isinstance(outcome[0], SandboxKilled)


def test_reentrant_call_is_refused_not_deadlocked() -> None:
    holder: dict[str, Sandbox] = {}
    other = create_sandbox()

    def reenter() -> str:
        try:
            holder["box"].interpret("1")
        except SandboxError as error:
            return f"refused: {type(error).__name__}"
        return "ran"

    def elsewhere() -> str:
        return other.interpret("6 * 7")

    with create_sandbox(expose={"reenter": reenter, "elsewhere": elsewhere}) as sandbox:
        holder["box"] = sandbox
        assert sandbox.interpret("reenter()") == "refused: SandboxError"
        assert sandbox.interpret("elsewhere()") == "42"
    other.kill()


def test_huge_results_never_crash() -> None:
    with create_sandbox(
        expose={
            "many": lambda: list(range(5_000_000)),
            "big": lambda: "x" * (100 << 20),
        },
        memory_limit_mb=64,
        max_execution_time=20_000,
    ) as sandbox:
        with pytest.raises(JavaScriptError) as raised:
            sandbox.interpret("many()")
        assert raised.value.name == "ConversionError"
        with pytest.raises(MemoryLimitExceeded):
            sandbox.interpret("big().length")
        assert sandbox.interpret("1 + 1") == "2"


def test_threads_on_two_isolates_call_heavily() -> None:
    """Three threads, two isolates, 1.2 million host calls: every sum right, no deadlock with
    the watchdog, the GIL or each other."""
    counter = {"calls": 0}
    lock = threading.Lock()

    def add(a: int, b: int) -> int:
        with lock:
            counter["calls"] += 1
        return a + b

    code = "let s = 0; for (let i = 0; i < 100000; i++) s = add(s, 1); return s"
    errors: list[BaseException] = []
    with create_sandbox(
        expose={"add": add}, max_concurrent_executions=2, max_execution_time=120_000
    ) as sandbox:

        def work() -> None:
            try:
                for _ in range(4):
                    assert sandbox.interpret(code, return_raw_result=True) == 100_000
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=work) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert counter["calls"] == 1_200_000


in_flight = {"now": 0, "most": 0}


async def fetch_price(symbol: str) -> float:
    in_flight["now"] += 1
    in_flight["most"] = max(in_flight["most"], in_flight["now"])
    try:
        await asyncio.sleep(0.2)
    finally:
        in_flight["now"] -= 1
    if symbol == "BAD":
        raise LookupFailed(f"no price for {symbol}")
    return {"AAPL": 10.5, "MSFT": 20.25}[symbol]


def test_async_callables_return_promises_settled_on_the_loop() -> None:
    async def main() -> None:
        async with await create_async_sandbox(
            expose={"fetch_price": fetch_price, "add": lambda a, b: a + b},
            security_level="moderate",
        ) as sandbox:
            in_flight["most"] = 0
            code = """const [a, b] = await Promise.all([fetch_price('AAPL'), fetch_price('MSFT')]);
                      return add(a, b)"""
            assert await sandbox.interpret(code, return_raw_result=True) == 30.75
            assert in_flight["most"] == 2  # both awaited at once, not one after the other
            caught = "try { await fetch_price('BAD') } catch (e) { return [e.name, e.message] }"
            assert await sandbox.interpret(caught, return_raw_result=True) == [
                "LookupFailed",
                "no price for BAD",
            ]
            with pytest.raises(JavaScriptError) as raised:
                await sandbox.interpret("return await fetch_price('BAD')")
            assert isinstance(raised.value.__cause__, LookupFailed)
            results = await asyncio.gather(
                *(sandbox.interpret(f"return (await fetch_price('AAPL')) * {i}") for i in range(3))
            )
            assert results == ["0", "10.5", "21"]
            assert await sandbox.interpret_many(["fetch_price('MSFT')"]) == ["20.25"]

    asyncio.run(main())


def test_async_callable_past_the_deadline_is_cancelled() -> None:
    finished: list[str] = []

    async def slow() -> str:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            finished.append("cancelled")
            raise
        return "late"

    async def main() -> None:
        async with await create_async_sandbox(
            expose={"slow": slow}, max_execution_time=200
        ) as sandbox:
            started = time.monotonic()
            with pytest.raises(ExecutionTimeout):
                await sandbox.interpret("return await slow()")
            assert time.monotonic() - started < 2
            for _ in range(100):
                if finished:
                    break
                await asyncio.sleep(0.01)
            assert finished == ["cancelled"]
            assert await sandbox.interpret("1 + 1") == "2"

    asyncio.run(main())


def test_interpreter_exit_during_host_calls(tmp_path: Any) -> None:
    """The interpreter exits while threads are inside host functions (busy Python, and a
    sleep): no hang, no crash."""
    script = tmp_path / "exit_during_calls.py"
    script.write_text(
        "import threading, time\n"
        "from code_interpreter import create_sandbox\n"
        "def spin():\n"
        "    while True:\n"
        "        pass\n"
        "box = create_sandbox(expose={'spin': spin, 'nap': lambda: time.sleep(0.2)},\n"
        "                     max_concurrent_executions=2, max_execution_time=600_000)\n"
        "threading.Thread(target=box.interpret, args=('spin()',), daemon=True).start()\n"
        "threading.Thread(target=box.interpret, args=('for (;;) nap()',), daemon=True).start()\n"
        "time.sleep(0.5)\n"
        "print('exiting', flush=True)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "exiting\n"


def test_interpret_many_keeps_the_cause() -> None:
    with create_sandbox(expose={"lookup": lookup}) as sandbox:
        results = sandbox.interpret_many(
            ["lookup('AAPL')", "lookup('NOPE')"], return_exceptions=True
        )
        assert results[0] == "189.5"
        assert isinstance(results[1], JavaScriptError)
        assert isinstance(results[1].__cause__, LookupFailed)
