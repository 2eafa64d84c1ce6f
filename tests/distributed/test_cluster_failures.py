"""Failures on a ClusterSandbox: a worker process killed with SIGKILL in the middle of a run
fails only the executions it held and is replaced; kill() and misuse give typed errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from code_interpreter import SandboxError, SandboxKilled
from code_interpreter.distributed import ClusterSandbox

from .conftest import SHARE

BUSY = "const end = Date.now() + {ms}; while (Date.now() < end) {{}} 'done'"


def wait_until_busy(cluster: ClusterSandbox) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for worker in cluster.get_status()["workers"]:
            if worker["busy"]:
                return worker
        time.sleep(0.01)
    raise AssertionError("no worker became busy")


def test_a_worker_killed_mid_run_fails_only_its_executions(ray_cluster: None) -> None:
    with ClusterSandbox(
        workers=2, persistent_context=True, max_execution_time=30_000, **SHARE
    ) as cluster:
        # A tenant on each worker, with state.
        cluster.interpret("globalThis.kept = 'yes'", tenant_id="a")
        cluster.interpret("globalThis.kept = 'yes'", tenant_id="b")
        doomed = cluster.submit(BUSY.format(ms=20_000), tenant_id="a")
        victim = wait_until_busy(cluster)
        survivor_index = 1 - victim["index"]
        os.kill(victim["pid"], signal.SIGKILL)
        with pytest.raises(SandboxError, match="died during the execution"):
            doomed.result(timeout=60)
        # The other worker and its tenant's state were not touched.
        assert cluster.interpret("globalThis.kept", tenant_id="b") == "yes"
        # The slot has a new worker; the lost tenant starts afresh there.
        assert cluster.interpret("typeof globalThis.kept", tenant_id="a") == "undefined"
        assert cluster.interpret_many(["1 + 1"] * 6) == ["2"] * 6
        workers = cluster.get_status()["workers"]
        replaced = workers[victim["index"]]
        assert replaced["restarts"] == 1 and replaced["alive"]
        assert replaced["pid"] != victim["pid"]
        assert workers[survivor_index]["restarts"] == 0


def test_calls_waiting_behind_a_killed_worker_run_on_its_replacement(ray_cluster: None) -> None:
    with ClusterSandbox(workers=1, max_execution_time=30_000, **SHARE) as cluster:
        running = [cluster.submit(BUSY.format(ms=20_000)) for _ in range(2)]
        pid = wait_until_busy(cluster)["pid"]
        # Both batches the worker may hold are under way: these wait in the queue.
        waiting = [cluster.submit(f"{i} * 3") for i in range(5)]
        os.kill(pid, signal.SIGKILL)
        for future in running:
            with pytest.raises(SandboxError):
                future.result(timeout=60)
        assert [f.result(timeout=60) for f in waiting] == [str(i * 3) for i in range(5)]


def test_interpret_many_share_of_a_killed_worker_fails_in_place(ray_cluster: None) -> None:
    with ClusterSandbox(workers=2, max_execution_time=30_000, **SHARE) as cluster:
        codes = [BUSY.format(ms=3_000)] * 2 + ["7"] * 2
        results: list = []
        batch = threading.Thread(
            target=lambda: results.extend(cluster.interpret_many(codes, return_exceptions=True))
        )
        batch.start()
        victim = wait_until_busy(cluster)
        os.kill(victim["pid"], signal.SIGKILL)
        batch.join(60)
        lost = [r for r in results if isinstance(r, SandboxError)]
        assert len(results) == 4 and len(lost) == 2, results
        assert results.count("done") + results.count("7") == 2


def test_kill_stops_everything_and_calls_after_it_are_refused(ray_cluster: None) -> None:
    cluster = ClusterSandbox(workers=2, max_execution_time=30_000, **SHARE)
    running = cluster.submit(BUSY.format(ms=20_000))
    wait_until_busy(cluster)
    started = time.monotonic()
    cluster.kill(graceful=False)
    with pytest.raises(SandboxKilled):
        running.result(timeout=30)
    assert time.monotonic() - started < 15
    assert not cluster.is_active
    for call in (
        lambda: cluster.interpret("1"),
        lambda: cluster.submit("1"),
        lambda: cluster.interpret_many(["1"]),
    ):
        with pytest.raises(SandboxKilled):
            call()
    cluster.kill()  # idempotent
    assert cluster.get_status()["is_active"] is False


def test_graceful_kill_lets_the_running_execution_finish(ray_cluster: None) -> None:
    cluster = ClusterSandbox(workers=1, **SHARE)
    running = cluster.submit(BUSY.format(ms=800))
    wait_until_busy(cluster)
    cluster.kill()
    assert running.result(timeout=30) == "done"


def test_without_ray_running_it_starts_and_ends_a_local_cluster() -> None:
    script = (
        "import ray\n"
        "from code_interpreter.distributed import ClusterSandbox\n"
        "with ClusterSandbox(workers=1) as cluster:\n"
        "    assert ray.is_initialized()\n"
        "    print(cluster.interpret('6 * 7'))\n"
        "print(ray.is_initialized())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["42", "False"]
