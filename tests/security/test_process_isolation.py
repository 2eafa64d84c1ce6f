"""Process isolation: each isolate in a worker process locked down before any JavaScript runs.

What the worker applied to itself is read from the kernel (/proc), not from its own report; a
worker that dies, stops answering or sends garbage fails only its execution, and is replaced.
"""

from __future__ import annotations

import os
import signal
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import ISOLATIONS

from code_interpreter import (
    ConfigurationError,
    ExecutionTimeout,
    Sandbox,
    SandboxError,
    SandboxKilled,
    _native_config,
    create_sandbox,
    v8_version,
)

if "process" not in ISOLATIONS:
    pytest.skip(
        "this run cannot start worker processes (see tests/conftest.py)", allow_module_level=True
    )


@pytest.fixture
def isolated() -> Iterator[Sandbox]:
    with create_sandbox(isolation="process", max_execution_time=5000, pre_warm=1) as box:
        yield box


def worker_pid(box: Sandbox) -> int:
    pid = box.get_status()["isolation"]["workers"][0]["pid"]
    assert isinstance(pid, int)
    return pid


def proc_status(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return fields


def run_in_thread(box: Sandbox, code: str, timeout: float) -> tuple[threading.Thread, list]:
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(box.interpret(code, timeout=timeout))
        except Exception as error:  # the test reads it
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def wait_busy(box: Sandbox) -> None:
    deadline = time.monotonic() + 10
    while not box.get_status()["isolation"]["workers"][0]["busy"]:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(0.05)  # into the loop


def our_children() -> list[int]:
    return [
        int(pid)
        for task in Path("/proc/self/task").iterdir()
        for pid in (task / "children").read_text().split()
    ]


def maps_a_channel(pid: int) -> bool:
    """Whether `pid` is a worker: the zygote that forks them holds no channel's rings."""
    try:
        return "code-interpreter-channel" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:  # gone meanwhile
        return False


def test_a_worker_started_ahead_serves_the_next_sandbox() -> None:
    with create_sandbox(isolation="process", pre_warm=1):
        pass
    deadline = time.monotonic() + 10
    standby = None
    while standby is None and time.monotonic() < deadline:  # started on a thread of its own
        waiting = [pid for pid in our_children() if maps_a_channel(pid)]
        standby = waiting[0] if waiting else None
        time.sleep(0.01)
    assert standby is not None
    with create_sandbox(isolation="process", pre_warm=1) as box:
        assert worker_pid(box) == standby


def test_workers_come_from_a_zygote_and_outlive_its_death() -> None:
    with create_sandbox(isolation="process", pre_warm=1) as box:
        # Forked by the zygote (its command line), not started from the executable.
        assert b"--zygote" in Path(f"/proc/{worker_pid(box)}/cmdline").read_bytes()

    def zygotes() -> list[int]:
        return [
            pid
            for pid in our_children()
            if b"--zygote" in Path(f"/proc/{pid}/cmdline").read_bytes() and not maps_a_channel(pid)
        ]

    # A worker the zygote just forked (the one started ahead for the next sandbox) looks like
    # it until it has mapped its channel.
    deadline = time.monotonic() + 10
    while len(zygotes()) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(zygotes()) == 1
    # V8 started in the zygote without a thread of its own: a child inherits no lock half-held.
    assert proc_status(zygotes()[0])["Threads"] == "1"
    os.kill(zygotes()[0], signal.SIGKILL)
    for _ in range(3):
        with create_sandbox(isolation="process", pre_warm=1) as box:
            assert box.interpret("2 ** 10") == "1024"


def anonymous_mappings(pid: int, permissions: str = "") -> set[int]:
    """Where the memory of `pid` not backed by a file begins (with `permissions`, only that)."""
    starts = set()
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        if len(fields) == 5 and fields[1].startswith(permissions):
            starts.add(int(fields[0].split("-")[0], 16))
    return starts


@pytest.mark.skipif(
    int(v8_version().split(".")[0]) >= 12,
    reason="V8 12 and later start compiler threads with the first isolate: their zygote forks "
    "before V8 starts (core/engine/platform.h)",
)
def test_workers_share_what_v8_makes_once_and_place_their_own_heaps_apart() -> None:
    with (
        create_sandbox(isolation="process", pre_warm=1) as first,
        create_sandbox(isolation="process", pre_warm=1) as second,
    ):
        pids = worker_pid(first), worker_pid(second)
        for pid in pids:
            assert b"--zygote" in Path(f"/proc/{pid}/cmdline").read_bytes()
        # V8's read-only heap, made in the zygote, at the same place in both.
        assert anonymous_mappings(pids[0], "r--p") & anonymous_mappings(pids[1], "r--p")
        # Each worker's own heap, placed from a seed of its own: the zygote's generator, copied
        # into both, would have put them at the same places.
        ours, theirs = (anonymous_mappings(pid) for pid in pids)
        assert ours - theirs and theirs - ours
        assert first.interpret("Math.random()") != second.interpret("Math.random()")


def test_the_kernel_shows_every_worker_filtered_and_without_new_privileges() -> None:
    with create_sandbox(isolation="process", max_concurrent_executions=2, pre_warm=2) as box:
        workers = box.get_status()["isolation"]["workers"]
        assert len(workers) == 2
        for worker in workers:
            status = proc_status(worker["pid"])
            assert status["Seccomp"] == "2"  # filter mode
            assert status["NoNewPrivs"] == "1"
            assert worker["seccomp"] and worker["no_new_privs"]
            # Its parent is this process (which reaps it), and it is out of this process's
            # group (a terminal's Ctrl-C is the caller's to handle).
            assert int(status["PPid"]) == os.getpid()
            assert os.getpgid(worker["pid"]) != os.getpgid(0)


def test_a_worker_holds_no_descriptor_but_its_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A path of its own: no worker was started for it ahead of time, so this one starts after
    # the inheritable descriptor below exists.
    fresh = tmp_path / "worker"
    fresh.symlink_to(_native_config._WORKER)
    monkeypatch.setattr(_native_config, "_WORKER", str(fresh))
    leaked = os.open("/etc/hostname", os.O_RDONLY)
    os.set_inheritable(leaked, True)  # would pass an exec
    try:
        with create_sandbox(isolation="process", pre_warm=1) as box:
            pid = worker_pid(box)
            assert sorted(os.listdir(f"/proc/{pid}/fd")) == ["3"]
            assert stat.S_ISSOCK(os.stat(f"/proc/{pid}/fd/3").st_mode)
            assert Path(f"/proc/{pid}/environ").read_bytes() == b""
    finally:
        os.close(leaked)


def test_a_worker_may_not_write_files_or_dump_core(isolated: Sandbox) -> None:
    limits = Path(f"/proc/{worker_pid(isolated)}/limits").read_text().splitlines()
    rows = {line[:26].strip(): line[26:].split() for line in limits[1:]}
    assert rows["Max file size"][:2] == ["0", "0"]
    assert rows["Max core file size"][:2] == ["0", "0"]


def test_status_says_which_namespaces_the_worker_entered(isolated: Sandbox) -> None:
    worker = isolated.get_status()["isolation"]["workers"][0]
    pid = worker["pid"]
    for name, link in (("network", "net"), ("mount", "mnt"), ("user", "user")):
        separate = os.readlink(f"/proc/{pid}/ns/{link}") != os.readlink(f"/proc/self/ns/{link}")
        assert separate == (name in worker["namespaces"]), name
    assert isolated.get_status()["isolation"]["mode"] == "process"


@pytest.fixture
def worker_wrapper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Makes sandboxes start the worker through a script that adds the test hook's flag."""

    def use(flag: str) -> None:
        script = tmp_path / "worker"
        script.write_text(
            f'#!/bin/sh\nexec "{_native_config._WORKER}" "$@" --after-lockdown {flag}\n'
        )
        script.chmod(0o755)
        monkeypatch.setattr(_native_config, "_WORKER", str(script))

    return use


@pytest.mark.parametrize("call", ["socket", "execve"])
def test_a_forbidden_system_call_kills_the_worker(worker_wrapper, call: str) -> None:
    worker_wrapper(call)
    with create_sandbox(isolation="process") as box:
        for _ in range(2):  # and the next caller gets a new worker, which fares no better
            with pytest.raises(SandboxError, match=r"killed by SIGSYS \(a blocked system call\)"):
                box.interpret("1 + 1")


def test_opening_a_file_fails_and_the_worker_goes_on(worker_wrapper) -> None:
    # The hook gives up (and the call fails) unless open failed with EPERM.
    worker_wrapper("open")
    with create_sandbox(isolation="process") as box:
        assert box.interpret("1 + 1") == "2"


def test_garbage_from_a_worker_fails_the_execution_and_stops_the_worker(worker_wrapper) -> None:
    worker_wrapper("garbage")
    with create_sandbox(isolation="process") as box:
        with pytest.raises(SandboxError, match=r"malformed message .*unknown kind"):
            box.interpret("1 + 1")
        workers = box.get_status()["isolation"]["workers"]
        assert workers[0]["restarts"] == 1


def test_a_worker_that_lies_about_its_ring_fails_the_execution_and_is_replaced(
    worker_wrapper,
) -> None:
    # It claims, in the memory it shares with the parent, more bytes than its ring can hold.
    worker_wrapper("lie")
    with create_sandbox(isolation="process") as box:
        with pytest.raises(SandboxError, match=r"malformed message .*more bytes than its ring"):
            box.interpret("1 + 1")
        assert box.get_status()["isolation"]["workers"][0]["restarts"] == 1


def test_a_worker_killed_mid_execution_fails_only_that_execution(isolated: Sandbox) -> None:
    pid = worker_pid(isolated)
    thread, outcome = run_in_thread(isolated, "for (;;) {}", timeout=4000)
    wait_busy(isolated)
    os.kill(pid, signal.SIGKILL)
    thread.join(10)
    assert isinstance(outcome[0], SandboxError)
    assert f"worker {pid} was killed by SIGKILL" in str(outcome[0])
    assert isolated.interpret("6 * 7") == "42"
    worker = isolated.get_status()["isolation"]["workers"][0]
    assert worker["restarts"] == 1 and worker["pid"] != pid


def test_a_stopped_worker_is_killed_at_the_deadline_plus_the_grace(isolated: Sandbox) -> None:
    pid = worker_pid(isolated)
    thread, outcome = run_in_thread(isolated, "for (;;) {}", timeout=300)
    wait_busy(isolated)
    os.kill(pid, signal.SIGSTOP)  # its own watchdog can no longer stop it
    thread.join(10)
    assert isinstance(outcome[0], ExecutionTimeout)
    assert not Path(f"/proc/{pid}").exists()  # killed and reaped
    assert isolated.interpret("1 + 2") == "3"


def test_a_worker_that_runs_out_of_memory_is_replaced() -> None:
    with create_sandbox(isolation="process", memory_limit_mb=16) as box:
        with pytest.raises(Exception) as raised:
            box.interpret("let a = []; for (;;) a.push(new Array(1e5).fill(1))")
        assert type(raised.value).__name__ in ("MemoryLimitExceeded", "SandboxError")
        assert box.interpret("[1, 2].length") == "2"


def test_kill_stops_executions_in_flight(isolated: Sandbox) -> None:
    thread, outcome = run_in_thread(isolated, "for (;;) {}", timeout=4000)
    wait_busy(isolated)
    pid = worker_pid(isolated)
    isolated.kill(graceful=False)
    thread.join(10)
    assert isinstance(outcome[0], SandboxKilled)
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not Path(f"/proc/{pid}").exists()  # killed and reaped


def test_isolation_is_thread_or_process() -> None:
    with pytest.raises(ConfigurationError, match="isolation must be one of thread, process"):
        create_sandbox(isolation="vm")
