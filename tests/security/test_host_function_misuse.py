"""Host functions used as a hostile script or a careless callable would: each case once took the
process down, hung, grew without bound or misreported, and is pinned here by its reproducer."""

from __future__ import annotations

import asyncio
import resource
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import (
    AsyncSandbox,
    ExecutionTimeout,
    JavaScriptError,
    MemoryLimitExceeded,
    Sandbox,
    SandboxError,
    create_async_sandbox,
    create_sandbox,
)


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


def run_in_child(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_exception_whose_class_name_raises_is_described_not_fatal() -> None:
    child = run_in_child(
        """
        from code_interpreter import JavaScriptError, create_sandbox

        class NamelessMeta(type):
            @property
            def __name__(cls):
                raise RuntimeError("no name for you")

        class Nameless(Exception, metaclass=NamelessMeta):
            def __str__(self):
                raise RuntimeError("no text either")

        def fail():
            raise Nameless()

        with create_sandbox(expose={"fail": fail}) as box:
            print(box.interpret("try { fail() } catch (e) { e.name + '|' + e.message }"))
            try:
                box.interpret("fail()")
            except JavaScriptError as error:
                print(type(error.__cause__).__qualname__)
            print(box.interpret("1 + 1"))
        """
    )
    assert child.returncode == 0, child.stderr
    name, text = child.stdout.splitlines()[0].split("|")
    assert name == "Nameless"
    assert "str() failed" in text
    assert child.stdout.splitlines()[1:] == ["Nameless", "2"]


@pytest.mark.parametrize("graceful", [True, False], ids=["graceful", "immediate"])
def test_kill_from_inside_a_host_function_does_not_wait_for_its_own_execution(
    graceful: bool,
) -> None:
    holder: dict[str, Sandbox] = {}

    def stop() -> str:
        holder["box"].kill(graceful=graceful)
        return "asked"

    sandbox = create_sandbox(expose={"stop": stop}, max_execution_time=1000)
    holder["box"] = sandbox
    done: list[Any] = []

    def run() -> None:
        try:
            done.append(sandbox.interpret("stop() + ' to stop'"))
        except BaseException as error:
            done.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "kill() inside a host call waited for its own execution"
    if graceful:
        assert done == ["asked to stop"]  # graceful: the running execution finishes
    else:
        assert type(done[0]).__name__ == "SandboxKilled"
    assert not sandbox.is_active
    with pytest.raises(SandboxError):
        sandbox.interpret("1")


def test_deadline_holds_while_a_host_function_waits_on_its_sandbox_being_killed() -> None:
    """Another thread kills gracefully while a host call runs; the execution still ends."""
    holder: dict[str, Sandbox] = {}
    entered = threading.Event()

    def nap() -> int:
        entered.set()
        time.sleep(0.2)
        return 1

    sandbox = create_sandbox(expose={"nap": nap}, max_execution_time=5000)
    holder["box"] = sandbox
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(sandbox.interpret("nap() + 1")))
    thread.start()
    assert entered.wait(10)
    sandbox.kill(graceful=True)
    thread.join(30)
    assert result == ["2"]


def test_async_host_calls_in_flight_are_bounded() -> None:
    started = {"count": 0}

    async def pending(i: int) -> int:
        started["count"] += 1
        await asyncio.sleep(0)
        return i

    async def main() -> None:
        async with await create_async_sandbox(
            expose={"pending": pending},
            memory_limit_mb=16,
            max_execution_time=20_000,
        ) as box:
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            with pytest.raises(JavaScriptError) as raised:
                await box.interpret("let i = 0; for (;;) { pending(i++) }")
            grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
            assert raised.value.name == "RangeError"
            assert "pending" in str(raised.value)
            assert started["count"] <= 1000
            assert grown_kb < 200 << 10
            # Below the bound, many calls at once still work.
            code = "const all = []; for (let i = 0; i < 900; i++) all.push(pending(i));" + (
                "return (await Promise.all(all)).length"
            )
            assert await box.interpret(code) == "900"

    asyncio.run(main())


def test_arguments_of_pending_async_calls_count_against_the_memory_limit() -> None:
    async def keep(value: Any) -> int:
        await asyncio.sleep(10)
        return 0

    async def main() -> None:
        async with await create_async_sandbox(
            expose={"keep": keep},
            memory_limit_mb=16,
            max_execution_time=20_000,
        ) as box:
            # Each argument is 1 MB; V8's heap keeps one string, the host a copy per call.
            code = "const s = 'x'.repeat(1 << 20); for (let i = 0; i < 100; i++) keep(s); 1"
            with pytest.raises(MemoryLimitExceeded):
                await box.interpret(code)
            assert await box.interpret("1 + 1") == "2"

    asyncio.run(main())


def test_host_error_rethrown_in_a_later_execution_has_no_stranger_as_cause() -> None:
    class First(Exception):
        pass

    class Second(Exception):
        pass

    def first() -> None:
        raise First("first")

    def second() -> None:
        raise Second("second")

    with create_sandbox(
        expose={"first": first, "second": second}, persistent_context=True
    ) as sandbox:
        sandbox.interpret("try { first() } catch (e) { globalThis.kept = e }; 1")
        with pytest.raises(JavaScriptError) as raised:
            sandbox.interpret("try { second() } catch (e) {} ; throw kept")
        assert not isinstance(raised.value.__cause__, Second)
        assert raised.value.name == "First"
        with pytest.raises(JavaScriptError) as raised:
            sandbox.interpret("try { first() } catch (e) {} ; second()")
        assert isinstance(raised.value.__cause__, Second)


def test_many_caught_host_errors_in_one_execution_are_not_all_kept() -> None:
    created: list[int] = []

    class Counted(Exception):
        def __init__(self) -> None:
            super().__init__("counted")
            created.append(1)

    def fail() -> None:
        raise Counted()

    with create_sandbox(expose={"fail": fail}, max_execution_time=20_000) as sandbox:
        code = "for (let i = 0; i < 20000; i++) { try { fail() } catch (e) {} }; fail()"
        with pytest.raises(JavaScriptError) as raised:
            sandbox.interpret(code)
        assert isinstance(raised.value.__cause__, Counted)  # the last one is still the cause
        assert len(created) == 20001


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_keyboard_interrupt_in_a_host_function_reaches_the_caller(
    interrupt: type[BaseException],
) -> None:
    calls = {"after": 0}

    def stop() -> None:
        raise interrupt()

    def after() -> None:
        calls["after"] += 1

    with create_sandbox(expose={"stop": stop, "after": after}) as sandbox:
        with pytest.raises(interrupt):
            sandbox.interpret("try { stop() } catch (e) { 'swallowed' }; after(); 'done'")
        assert calls["after"] == 0  # the execution ended at the interrupt
        assert sandbox.interpret("1 + 1") == "2"
        with pytest.raises(interrupt):
            sandbox.interpret_many(["1", "stop()", "after()"])
        assert calls["after"] == 0


def test_keyboard_interrupt_in_an_async_host_function_reaches_the_caller() -> None:
    async def stop() -> None:
        raise KeyboardInterrupt

    def run() -> BaseException | None:
        async def main() -> None:
            box = await create_async_sandbox(expose={"stop": stop}, max_execution_time=5000)
            try:
                await box.interpret("try { await stop() } catch (e) { return 'swallowed' }")
            finally:
                await box.kill(graceful=False)

        try:
            asyncio.run(main())
        except BaseException as error:
            return error
        return None

    assert isinstance(run(), KeyboardInterrupt)


def test_async_host_function_reentering_its_own_sandbox_is_refused_at_once() -> None:
    holder: dict[str, AsyncSandbox] = {}

    async def reenter() -> str:
        try:
            await holder["box"].interpret("1")
        except SandboxError as error:
            return f"refused: {type(error).__name__}"
        return "ran"

    async def stop() -> str:
        await holder["box"].kill()
        return "stopping"

    async def main() -> None:
        async with await create_async_sandbox(
            expose={"reenter": reenter}, max_execution_time=5000
        ) as box:
            holder["box"] = box
            started = time.monotonic()
            assert await box.interpret("return await reenter()") == "refused: SandboxError"
            assert time.monotonic() - started < 4  # not the deadline
        async with await create_async_sandbox(
            expose={"stop": stop}, max_execution_time=5000
        ) as box:
            holder["box"] = box
            started = time.monotonic()
            assert await box.interpret("return (await stop()) + '!'") == "stopping!"
            assert time.monotonic() - started < 4
            assert not box.is_active

    asyncio.run(main())


def test_argument_too_deep_or_too_large_is_a_type_error_about_arguments() -> None:
    with create_sandbox(
        expose={"take": lambda *values: len(values)},
        memory_limit_mb=64,
        max_execution_time=20_000,
        security_level="moderate",
    ) as sandbox:
        deep = "let a = []; for (let i = 0; i < 100000; i++) a = [a]; "
        for code, reason in [
            (deep + "take(1, a)", "nested more than"),
            ("let a = [1]; for (let i = 0; i < 3000; i++) a = [a]; take(a)", "nested more than"),
            ("take('x'.repeat(70 << 20))", "larger than"),
            ("take({f() {}})", "function"),
        ]:
            with pytest.raises(JavaScriptError) as raised:
                sandbox.interpret(code)
            assert raised.value.name == "TypeError", raised.value
            assert "argument" in raised.value.message
            assert "result" not in raised.value.message
            assert reason in raised.value.message
        assert (
            sandbox.interpret("try { take({f() {}}) } catch (e) { e instanceof TypeError }")
            == "true"
        )


def test_deadline_still_holds_after_a_kill_from_a_host_function() -> None:
    holder: dict[str, Sandbox] = {}

    def stop() -> None:
        holder["box"].kill(graceful=True)

    sandbox = create_sandbox(expose={"stop": stop}, max_execution_time=300)
    holder["box"] = sandbox
    started = time.monotonic()
    with pytest.raises(ExecutionTimeout):
        sandbox.interpret("stop(); for (;;) {}")
    assert time.monotonic() - started < 10
    assert not sandbox.is_active
