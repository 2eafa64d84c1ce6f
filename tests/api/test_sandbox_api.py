"""Each sandbox class offers the sandbox API as `SandboxAPI` / `AsyncSandboxAPI` write it
(mypy checks the signatures; this checks what a caller meets at run time), and a sandbox's
metrics snapshot adds up to what `get_metrics` reports."""

from __future__ import annotations

import inspect
import sys
from typing import Any

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import (
    AsyncSandbox,
    AsyncSandboxAPI,
    MetricsSnapshot,
    Sandbox,
    SandboxAPI,
    SecurityViolation,
    create_sandbox,
)

_CONTEXT_MANAGER = ("__enter__", "__exit__", "__aenter__", "__aexit__")
_CALLS = ("interpret", "execute", "interpret_file", "interpret_many", "kill")


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


def _check(cls: type, protocol: type, awaited: bool) -> None:
    """The protocol's methods (its properties need an instance; mypy checks those)."""
    methods = {
        name: value
        for base in protocol.__mro__
        if getattr(base, "_is_protocol", False)
        for name, value in vars(base).items()
        if inspect.isfunction(value) and (not name.startswith("_") or name in _CONTEXT_MANAGER)
    }
    assert set(_CALLS) | {"get_status", "get_metrics"} <= set(methods)
    for name, wanted in methods.items():
        got = getattr(cls, name, None)
        assert got is not None, f"{cls.__name__} lacks {name}"
        if name in _CALLS:
            assert inspect.iscoroutinefunction(got) is awaited, f"{cls.__name__}.{name}"
        got_params = inspect.signature(got).parameters
        for param in inspect.signature(wanted).parameters.values():
            assert param.name in got_params, f"{cls.__name__}.{name} lacks {param.name}"
            assert got_params[param.name].kind == param.kind, (cls, name, param)
            assert got_params[param.name].default == param.default, (cls, name, param)


def test_sandbox_offers_the_blocking_api() -> None:
    _check(Sandbox, SandboxAPI, awaited=False)


def test_async_sandbox_offers_the_awaited_api() -> None:
    _check(AsyncSandbox, AsyncSandboxAPI, awaited=True)


def test_cluster_sandbox_offers_the_blocking_api() -> None:
    pytest.importorskip("ray")
    from code_interpreter.distributed import ClusterSandbox

    _check(ClusterSandbox, SandboxAPI, awaited=False)


def test_metrics_snapshot_matches_get_metrics() -> None:
    with create_sandbox() as sandbox:
        sandbox.interpret("1 + 1")
        with pytest.raises(SecurityViolation):
            sandbox.interpret("eval('1')")
        sandbox.interpret_many(["2", "throw new Error('x')"], return_exceptions=True)
        snapshot = sandbox.metrics_snapshot()
        metrics: Any = sandbox.get_metrics()
    assert isinstance(snapshot, MetricsSnapshot)
    executions = metrics["executions"]
    assert (snapshot.total, snapshot.successful, snapshot.failed) == (
        executions["total"],
        executions["successful"],
        executions["failed"],
    )
    assert snapshot.total == 3 and snapshot.failed == 1
    assert snapshot.average_time == executions["average_time"]
    assert snapshot.violation_attempts == metrics["security"]["violation_attempts"] == 1
    assert snapshot.memory_peak == metrics["memory"]["peak"]
    assert sum(count for _, count in snapshot.duration_buckets) == snapshot.total
    with pytest.raises(AttributeError):
        snapshot.total = 0  # type: ignore[misc]
