"""ClusterSandbox on a local Ray cluster: the sandbox API, results and exceptions as in
process, executions spread over the workers, status and metrics."""

from __future__ import annotations

import concurrent.futures
import os
import sys
import time
from pathlib import Path

import pytest
import ray

from code_interpreter import (
    ConfigurationError,
    ConversionError,
    ExecutionResult,
    ExecutionTimeout,
    JavaScriptError,
    MemoryLimitExceeded,
    SecurityViolation,
    create_sandbox,
)
from code_interpreter.distributed import ClusterSandbox

from .conftest import SHARE


def test_results_match_an_in_process_sandbox(cluster: ClusterSandbox) -> None:
    local = create_sandbox()
    cases = [
        ("2 + 3 * 4", None),
        ("return context.numbers.reduce((s, n) => s + n, 0)", {"numbers": [1, 2, 3]}),
        ("({a: [1, 'x', null], b: {c: true}})", None),
        ("new Date(0).toISOString()", None),
    ]
    for code, context in cases:
        assert cluster.interpret(code, context) == local.interpret(code, context)
        assert cluster.interpret(code, context, return_raw_result=True) == local.interpret(
            code, context, return_raw_result=True
        )
    local.kill()


def test_execute_returns_the_execution_result_with_console(cluster: ClusterSandbox) -> None:
    result = cluster.execute("console.log('hi', 1); console.warn('w'); 41 + 1")
    assert isinstance(result, ExecutionResult)
    assert result.value == 42
    assert [(line.level, line.text) for line in result.console] == [("log", "hi 1"), ("warn", "w")]
    assert result.duration_ms > 0


def test_submit_returns_a_future_and_many_run_at_once(cluster: ClusterSandbox) -> None:
    futures = [cluster.submit("return context.i * 2", {"i": i}) for i in range(50)]
    assert all(isinstance(f, concurrent.futures.Future) for f in futures)
    assert [f.result(timeout=60) for f in futures] == [str(i * 2) for i in range(50)]
    failing = cluster.submit("null.x")
    with pytest.raises(JavaScriptError):
        failing.result(timeout=60)


def test_interpret_many_keeps_order_and_spreads_over_workers(cluster: ClusterSandbox) -> None:
    before = [w["executions"] for w in cluster.get_status()["workers"]]
    codes = [f"{i} * {i}" for i in range(40)]
    assert cluster.interpret_many(codes) == [str(i * i) for i in range(40)]
    after = [w["executions"] for w in cluster.get_status()["workers"]]
    assert all(a > b for a, b in zip(after, before)), (before, after)


def test_interpret_many_failures_in_place_or_first_raised(cluster: ClusterSandbox) -> None:
    codes = ["1", "null.x", "3", "eval('4')", "5"]
    results = cluster.interpret_many(codes, return_exceptions=True)
    assert results[0] == "1" and results[2] == "3" and results[4] == "5"
    assert isinstance(results[1], JavaScriptError) and results[1].name == "TypeError"
    assert isinstance(results[3], SecurityViolation)
    with pytest.raises(JavaScriptError):
        cluster.interpret_many(codes)
    assert cluster.interpret_many([]) == []
    with pytest.raises(TypeError):
        cluster.interpret_many("1 + 1")  # type: ignore[arg-type]


def test_typed_exceptions_cross_with_their_fields(cluster: ClusterSandbox) -> None:
    with pytest.raises(JavaScriptError) as thrown:
        cluster.interpret("const a = 1;\nnull.x")
    local = create_sandbox()
    with pytest.raises(JavaScriptError) as expected:
        local.interpret("const a = 1;\nnull.x")
    local.kill()
    for field in ("name", "message", "line_number", "column", "stack"):
        assert getattr(thrown.value, field) == getattr(expected.value, field), field
    assert thrown.value.line_number == 2

    with pytest.raises(ExecutionTimeout):
        cluster.interpret("while (true) {}", timeout=200)
    with pytest.raises(SecurityViolation) as refused:
        cluster.interpret("eval('1')")
    assert refused.value.pattern
    with pytest.raises(ConversionError):
        cluster.interpret("Symbol('s')", return_raw_result=True)
    with pytest.raises(TypeError):
        cluster.interpret("1", {"f": object()})  # as in process: not a JSON-like value
    with pytest.raises(TypeError):
        cluster.interpret(42)  # type: ignore[arg-type]
    # Every worker still serves after all of that.
    assert cluster.interpret_many(["1 + 1"] * 4) == ["2"] * 4


def test_memory_bomb_is_typed_and_the_worker_survives(ray_cluster: None) -> None:
    with ClusterSandbox(workers=1, memory_limit_mb=32, max_execution_time=60_000, **SHARE) as small:
        pid = small.get_status()["workers"][0]["pid"]
        with pytest.raises(MemoryLimitExceeded):
            small.interpret("const a = []; while (true) a.push(new Array(100000).fill(1.5))")
        assert small.interpret("1 + 1") == "2"
        assert small.get_status()["workers"][0]["pid"] == pid


def test_process_isolation_reaches_the_workers(ray_cluster: None) -> None:
    with ClusterSandbox(workers=1, isolation="process", pre_warm=1, **SHARE) as isolated:
        assert isolated.interpret("6 * 7") == "42"
        isolation = isolated.get_status()["workers"][0]["isolation"]
        assert isolation["mode"] == "process"
        pid = isolation["workers"][0]["pid"]
        status = Path(f"/proc/{pid}/status").read_text()
        assert "Seccomp:\t2" in status and "NoNewPrivs:\t1" in status


def test_status_lists_the_workers(cluster: ClusterSandbox) -> None:
    cluster.interpret_many(["1"] * 4)
    status = cluster.get_status()
    assert status["is_active"] and status["execution_count"] >= 4
    workers = status["workers"]
    assert len(workers) == 2
    pids = {w["pid"] for w in workers}
    assert len(pids) == 2 and os.getpid() not in pids
    for worker in workers:
        assert worker["alive"] and worker["node"] and worker["busy"] == 0
        assert worker["executions"] > 0


def test_status_shows_a_worker_busy_during_an_execution(cluster: ClusterSandbox) -> None:
    running = cluster.submit("const end = Date.now() + 1500; while (Date.now() < end) {} 'done'")
    deadline = time.monotonic() + 10
    busy = 0
    while time.monotonic() < deadline and not busy:
        busy = sum(w["busy"] for w in cluster.get_status()["workers"])
    assert busy == 1
    assert running.result(timeout=30) == "done"


def test_metrics_add_up_over_workers(ray_cluster: None) -> None:
    with ClusterSandbox(workers=2, **SHARE) as fresh:
        fresh.interpret_many(["1"] * 10 + ["null.x"] * 2, return_exceptions=True)
        for _ in range(6):
            fresh.interpret("let s = 0; for (let i = 0; i < 1e5; i++) s += i; s")
        metrics = fresh.get_metrics()
    executions = metrics["executions"]
    assert (executions["total"], executions["successful"], executions["failed"]) == (18, 16, 2)
    assert sum(w["total"] for w in metrics["workers"]) == 18
    assert len(metrics["workers"]) == 2
    assert 0 < executions["median_time"] <= executions["p95_time"] <= executions["p99_time"]
    assert metrics["memory"]["peak"] > 0


def test_bad_options_are_refused_before_any_worker_starts(ray_cluster: None) -> None:
    for bad in (
        {"workers": 0},
        {"workers": "2"},
        {"no_such_option": 1},
        {"memory_limit_mb": 1},
        {"tenant_id": ""},
        {"cpus_per_worker": 0},
    ):
        with pytest.raises(ConfigurationError):
            ClusterSandbox(**bad)


async def _lookup(key: str) -> str:
    return key


def test_async_host_functions_are_refused(ray_cluster: None) -> None:
    with pytest.raises(ConfigurationError):
        ClusterSandbox(workers=1, expose={"lookup": _lookup}, **SHARE)


def shout(text: str) -> str:
    return text.upper() + "!"


# The workers cannot import this test module: its functions travel by value.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


def refuse(reason: str) -> None:
    raise LookupError(reason)


def test_host_functions_run_in_the_workers(ray_cluster: None) -> None:
    expose = {"shout": shout, "pid": os.getpid, "refuse": refuse}
    with ClusterSandbox(workers=1, expose=expose, **SHARE) as hosted:
        assert hosted.interpret("shout('hey')") == "HEY!"
        worker_pid = hosted.get_status()["workers"][0]["pid"]
        assert hosted.interpret("pid()", return_raw_result=True) == worker_pid
        for run in (
            lambda: hosted.interpret("refuse('no such key')"),
            lambda: hosted.submit("refuse('no such key')").result(timeout=60),
            lambda: hosted.interpret_many(["refuse('no such key')"]),
        ):
            with pytest.raises(JavaScriptError) as thrown:
                run()
            assert thrown.value.name == "LookupError"
            assert isinstance(thrown.value.__cause__, LookupError)
            assert str(thrown.value.__cause__) == "no such key"


def test_modules_from_a_relative_folder(ray_cluster: None, monkeypatch: pytest.MonkeyPatch) -> None:
    root = os.path.join(os.path.dirname(__file__), "..", "..", ".deps", "npm")
    if not os.path.isdir(os.path.join(root, "node_modules", "lodash")):
        pytest.skip("ci/npm-packages has not fetched lodash")
    monkeypatch.chdir(root)
    with ClusterSandbox(workers=1, allowed_modules=["lodash"], **SHARE) as with_modules:
        assert with_modules.interpret("require('lodash').sum(context.xs)", {"xs": [1, 2, 3]}) == "6"


def test_interpret_file(cluster: ClusterSandbox, tmp_path: os.PathLike[str]) -> None:
    script = os.path.join(tmp_path, "calc.js")
    with open(script, "w", encoding="utf-8") as out:
        out.write("return context.input_data.map(x => x * 2)")
    assert cluster.interpret_file(script, {"input_data": [1, 2]}, return_raw_result=True) == [2, 4]
