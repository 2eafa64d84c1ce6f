"""Kills, crowds, odd code and forks. Single kills from another thread, calls after kill,
NUL / lone surrogates / oversized code and the basic fork case are pinned in tests/; these
are the harder timings and combinations."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import (
    ExecutionTimeout,
    JavaScriptError,
    MemoryLimitExceeded,
    Sandbox,
    SandboxError,
    SandboxKilled,
    create_sandbox,
)


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


JOIN_S = 20  # generous: proves "did not hang"


def run_threads(targets: list[Any]) -> None:
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_S)
        assert not thread.is_alive(), "a call never returned"


def test_kill_while_callers_wait_for_an_isolate_ends_every_caller() -> None:
    box = create_sandbox(max_concurrent_executions=2, max_execution_time=60_000)
    outcomes: list[str] = []
    lock = threading.Lock()

    def call() -> None:
        try:
            box.interpret("while (true) {}")
            result = "value"
        except SandboxKilled:
            result = "killed"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while box.get_status().get("running_executions", 2) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    box.kill(graceful=False)
    for thread in threads:
        thread.join(JOIN_S)
        assert not thread.is_alive()
    assert outcomes == ["killed"] * 8


def test_many_callers_over_the_concurrency_limit_all_get_their_own_result() -> None:
    with create_sandbox(max_concurrent_executions=2, max_execution_time=10_000) as box:
        results: dict[int, Any] = {}

        def call(n: int) -> None:
            results[n] = box.interpret(
                "let s = 0; for (let i = 0; i < 1e5; i++) s += i; s + context.n",
                {"n": n},
                return_raw_result=True,
            )

        run_threads([lambda n=n: call(n) for n in range(24)])
        assert results == {n: sum(range(100_000)) + n for n in range(24)}


def test_kill_during_a_memory_bomb_ends_as_killed_or_memory_hit() -> None:
    box = create_sandbox(memory_limit_mb=64, max_execution_time=60_000)
    outcome: list[type[BaseException]] = []

    def bomb() -> None:
        try:
            box.interpret("const a = []; while (true) a.push(new Array(1e4).fill(1.5))")
        except SandboxError as error:
            outcome.append(type(error))

    thread = threading.Thread(target=bomb)
    thread.start()
    time.sleep(0.05)
    box.kill(graceful=False)
    thread.join(JOIN_S)
    assert not thread.is_alive()
    assert outcome in ([SandboxKilled], [MemoryLimitExceeded])


def test_every_call_kind_after_kill_raises_sandbox_killed() -> None:
    box = create_sandbox()
    box.kill()
    calls = [
        lambda: box.interpret("1"),
        lambda: box.interpret("1", {"a": 1}, return_raw_result=True),
        lambda: box.execute("1"),
        lambda: box.interpret_many(["1", "2"]),
    ]
    for call in calls:
        with pytest.raises(SandboxKilled):
            call()
    box.kill(graceful=False)


def test_kill_and_calls_racing_from_many_threads_only_give_typed_outcomes() -> None:
    for _ in range(5):
        box = create_sandbox(max_concurrent_executions=3, max_execution_time=60_000)
        unexpected: list[BaseException] = []

        def call(
            code: str, box: Sandbox = box, unexpected: list[BaseException] = unexpected
        ) -> None:
            try:
                box.interpret(code, timeout=50)
            except (SandboxKilled, ExecutionTimeout):
                pass
            except BaseException as error:
                unexpected.append(error)

        targets: list[Any] = [
            lambda c=c: call(c) for c in ["1", "while (true) {}", "[1, 2]", "for (;;) {}"] * 3
        ]
        targets.insert(5, lambda box=box: box.kill(graceful=False))
        run_threads(targets)
        box.kill(graceful=False)
        assert unexpected == []


def test_code_made_of_nul_escapes_and_lone_surrogate_escapes_runs(bare: Sandbox) -> None:
    assert bare.interpret("'a\\0b'", return_raw_result=True) == "a\x00b"
    assert bare.interpret("'\\udc00\\ud800'.length") == "2"
    with pytest.raises(JavaScriptError) as caught:
        bare.interpret("throw new Error('\\ud800 lone')")
    assert caught.value.name == "Error"


def test_lone_surrogates_in_console_lines_and_error_messages_are_one_replacement_each(
    bare: Sandbox,
) -> None:
    report = bare.execute("console.log('a' + String.fromCharCode(0xD800) + 'b\\udc00'); 1")
    assert [line.text for line in report.console] == ["a\ufffdb\ufffd"]
    with pytest.raises(JavaScriptError) as caught:
        bare.interpret("throw new Error('\\ud800 lone')")
    assert caught.value.message == "\ufffd lone"


def test_context_with_nul_and_lone_surrogates_round_trips(bare: Sandbox) -> None:
    context = {"s": "a\x00b\ud800c", "k\x00": 1}
    result = bare.interpret("[context.s, Object.keys(context)]", context, return_raw_result=True)
    assert result == ["a\x00b\ud800c", ["s", "k\x00"]]


def test_near_the_native_code_cap_runs_and_over_it_is_refused() -> None:
    custom = {"max_code_length": 4 << 20, "max_lines": 1_000_000}
    with create_sandbox(security_level="custom", custom_security=custom) as box:
        assert box.interpret("/*" + "x" * ((4 << 20) - 16) + "*/ 7") == "7"
        with pytest.raises((ValueError, SandboxError)):
            box.interpret("/*" + "x" * (10 << 20) + "*/ 7")
        assert box.interpret("8") == "8"


def run_child(source: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_while_another_thread_runs_javascript_never_hangs_the_child() -> None:
    child = run_child(
        """
        import os, threading, time, warnings
        warnings.simplefilter("ignore")
        from code_interpreter import create_sandbox, SandboxError
        box = create_sandbox(max_execution_time=60_000)
        started = threading.Event()
        def spin():
            started.set()
            try:
                box.interpret("while (true) {}")
            except SandboxError as error:
                print("parent spin:", type(error).__name__, flush=True)
        spinner = threading.Thread(target=spin, daemon=True)
        spinner.start()
        started.wait(); time.sleep(0.2)
        pid = os.fork()
        if pid == 0:
            lines = []
            for label, call in [("inherited", lambda: box.interpret("1")),
                                ("new", lambda: create_sandbox().interpret("1"))]:
                try:
                    call()
                    lines.append(label + ": ran")
                except SandboxError as error:
                    lines.append(label + ": " + type(error).__name__)
            print("child:", "; ".join(lines), flush=True)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print("child exit:", os.waitstatus_to_exitcode(status), flush=True)
        box.kill(graceful=False)
        spinner.join(10)
        """
    )
    assert child.returncode == 0, child.stderr
    assert "child: inherited: SandboxKilled; new: SandboxError" in child.stdout
    assert "child exit: 0" in child.stdout
    assert "parent spin: SandboxKilled" in child.stdout


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sandbox_made_after_fork_in_a_child_of_a_fresh_parent_works() -> None:
    # A parent that never started V8 can fork children that use sandboxes normally.
    child = run_child(
        """
        import os
        import code_interpreter
        pids = []
        for n in range(3):
            pid = os.fork()
            if pid == 0:
                with code_interpreter.create_sandbox() as box:
                    os._exit(0 if box.interpret(f"{n} * 2") == str(n * 2) else 1)
            pids.append(pid)
        print([os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in pids])
        """
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "[0, 0, 0]"
