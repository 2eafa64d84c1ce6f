"""Cases that could hang or crash a process run in a child interpreter."""

import os
import subprocess
import sys
import textwrap
import time

import pytest


def run_child(source: str, timeout: float = 30) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return child, time.monotonic() - started


@pytest.mark.parametrize("daemon", [True, False], ids=["daemon thread", "non-daemon thread"])
def test_interpreter_exits_promptly_with_an_execution_running(daemon: bool) -> None:
    child, elapsed = run_child(
        f"""
        import threading, time
        from code_interpreter import create_sandbox
        box = create_sandbox(max_execution_time=600_000)
        box.interpret("1")
        def spin():
            try:
                box.interpret("while (true) {{}}")
            except Exception as error:
                print(type(error).__name__, flush=True)
        threading.Thread(target=spin, daemon={daemon}).start()
        time.sleep(0.3)
        print("leaving", flush=True)
        """
    )
    assert child.returncode == 0, child.stderr
    assert "leaving" in child.stdout
    assert elapsed < 10  # interpreter start-up included; the script itself would run 10 minutes


def test_interpreter_exits_with_idle_sandboxes_alive() -> None:
    child, _ = run_child(
        """
        from code_interpreter import create_sandbox
        boxes = [create_sandbox(max_concurrent_executions=2) for _ in range(3)]
        for box in boxes:
            box.interpret("1")
        print("ok")
        """
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "ok"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_gets_clear_errors_and_never_hangs() -> None:
    child, _ = run_child(
        """
        import os, sys, warnings
        warnings.simplefilter("ignore")
        from code_interpreter import create_sandbox, SandboxError
        box = create_sandbox()
        assert box.interpret("1 + 1") == "2"
        pid = os.fork()
        if pid == 0:
            lines = []
            try:
                box.interpret("1")
                lines.append("inherited: ran")
            except SandboxError as error:
                lines.append("inherited: " + type(error).__name__)
            try:
                create_sandbox().interpret("1")
                lines.append("new: ran")
            except SandboxError as error:
                lines.append("new: " + type(error).__name__)
            print("; ".join(lines), flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
        print("parent:", box.interpret("2 + 2"))
        """
    )
    assert child.returncode == 0, child.stderr
    assert "inherited: SandboxKilled" in child.stdout
    assert "new: SandboxError" in child.stdout
    assert "parent: 4" in child.stdout
