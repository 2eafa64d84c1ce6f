import logging
import sys
from typing import Any

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import (
    ExecutionCompleteEvent,
    ExecutionErrorEvent,
    ExecutionStartEvent,
    JavaScriptError,
    KilledEvent,
    MemoryWarningEvent,
    ReadyEvent,
    create_sandbox,
)


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


def test_execution_events_carry_their_payloads() -> None:
    seen: list[Any] = []
    with create_sandbox() as box:
        for name in ("execution:start", "execution:complete", "execution:error"):
            box.on(name, seen.append)
        box.interpret("1")
        with pytest.raises(JavaScriptError):
            box.interpret("throw new Error('x')")
    start, complete, start2, error = seen
    assert isinstance(start, ExecutionStartEvent) and isinstance(complete, ExecutionCompleteEvent)
    assert start.execution_id == complete.execution_id != start2.execution_id
    assert complete.duration > 0
    assert isinstance(error, ExecutionErrorEvent) and isinstance(error.error, JavaScriptError)


def test_ready_listener_added_late_is_called_at_once() -> None:
    with create_sandbox() as box:
        seen: list[Any] = []
        box.on("ready", seen.append)
        assert seen == [ReadyEvent(box.id)]


def test_killed_fires_once_with_the_reason() -> None:
    box = create_sandbox()
    seen: list[Any] = []
    box.on("killed", seen.append)
    box.kill()
    box.kill()
    assert seen == [KilledEvent(box.id, "requested")]


def test_memory_warning_fires_past_the_threshold() -> None:
    seen: list[Any] = []
    with create_sandbox(
        memory_limit_mb=32, memory_warning_threshold=0.3, persistent_context=True
    ) as box:
        box.on("memory:warning", seen.append)
        box.interpret("1")
        assert seen == []
        box.interpret("globalThis.keep = new Array(2e6).fill(1.5); 1")
    assert len(seen) == 1
    assert isinstance(seen[0], MemoryWarningEvent)
    assert seen[0].usage > 0.3 * seen[0].limit and seen[0].limit == 32 << 20


def test_a_listener_that_raises_is_logged_and_never_breaks_the_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(event: Any) -> None:
        raise RuntimeError("listener bug")

    with create_sandbox() as box:
        box.on("execution:complete", broken)
        assert box.interpret("6 * 7") == "42"
    assert any("listener" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)


def test_unknown_event_names_are_refused() -> None:
    with create_sandbox() as box, pytest.raises(ValueError, match="execution:complete"):
        box.on("execution:done", print)


def test_status_and_metrics_have_the_documented_fields() -> None:
    with create_sandbox(memory_limit_mb=64) as box:
        for i in range(20):
            box.interpret(f"{i} + 1")
        with pytest.raises(JavaScriptError):
            box.interpret("null.x")
        status = box.get_status()
        metrics = box.get_metrics()
    assert status["id"] == box.id and status["execution_count"] == 21
    assert status["memory_usage"]["heap_used"] > 0
    assert status["memory_usage"]["heap_total"] >= status["memory_usage"]["heap_used"]
    assert status["performance"]["total_executions"] == 21
    assert status["performance"]["error_rate"] == pytest.approx(1 / 21)
    assert status["options"]["memory_limit_mb"] == 64
    executions = metrics["executions"]
    assert (executions["total"], executions["successful"], executions["failed"]) == (21, 20, 1)
    assert 0 < executions["median_time"] <= executions["p95_time"] <= executions["p99_time"]
    assert metrics["memory"]["limit"] == 64 << 20
    assert 0 < metrics["memory"]["current"] <= metrics["memory"]["peak"]


def test_percentiles_follow_the_durations() -> None:
    with create_sandbox() as box:
        for _ in range(90):
            box.interpret("1")
        for _ in range(10):
            box.interpret("let t = Date.now(); while (Date.now() - t < 20) {} 1")
        executions = box.get_metrics()["executions"]
    assert executions["median_time"] < 5
    assert 15 < executions["p95_time"] < 60
    assert 15 < executions["p99_time"] < 60
    assert executions["average_time"] == pytest.approx(2, abs=2)


def test_metrics_memory_is_flat_over_many_executions() -> None:
    import tracemalloc

    with create_sandbox(persistent_context=True) as box:
        for _ in range(2000):
            box.interpret("1")
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(20_000):
            box.interpret("1")
        grown = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        assert box.get_metrics()["executions"]["total"] == 22_000
    assert grown < 64 << 10
