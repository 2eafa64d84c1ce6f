"""What the service reports: Prometheus metrics, and the last minute, second by second, for
the dashboard.

PYTEST_DONT_REWRITE (see code_interpreter.__init__)."""

from __future__ import annotations

import time
from collections import Counter, deque
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client import Counter as PromCounter

from .._percentiles import percentile_of_sorted

__all__ = ["ServiceMetrics"]

_WINDOW_SECONDS = 60
_LATENCIES_PER_SECOND = 2000  # a sample per second is enough for percentiles


class _Second:
    __slots__ = ("count", "errors", "latencies", "second")

    def __init__(self, second: int) -> None:
        self.second = second
        self.count = 0
        self.errors: Counter[str] = Counter()
        self.latencies: list[float] = []


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.executions = PromCounter(
            "code_interpreter_executions",
            "Executions by outcome (ok, or the error type)",
            ["outcome"],
            registry=self.registry,
        )
        self.seconds = Histogram(
            "code_interpreter_execution_seconds",
            "Wall time of executions",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.active_sandboxes = Gauge(
            "code_interpreter_active_sandboxes", "Live user sandboxes", registry=self.registry
        )
        self._seconds: deque[_Second] = deque(maxlen=_WINDOW_SECONDS)

    def record(self, seconds: float, outcome: str) -> None:
        self.executions.labels(outcome=outcome).inc()
        self.seconds.observe(seconds)
        now = int(time.time())
        if not self._seconds or self._seconds[-1].second != now:
            self._seconds.append(_Second(now))
        bucket = self._seconds[-1]
        bucket.count += 1
        if outcome != "ok":
            bucket.errors[outcome] += 1
        if len(bucket.latencies) < _LATENCIES_PER_SECOND:
            bucket.latencies.append(seconds * 1000)

    def prometheus(self) -> bytes:
        return generate_latest(self.registry)

    def live(self, active_sandboxes: int) -> dict[str, Any]:
        """The last minute, one point per second (seconds without executions included)."""
        now = int(time.time())
        by_second = {bucket.second: bucket for bucket in self._seconds}
        points = []
        errors: Counter[str] = Counter()
        minute: list[float] = []
        for second in range(now - _WINDOW_SECONDS + 1, now + 1):
            bucket = by_second.get(second)
            ordered = sorted(bucket.latencies) if bucket else []
            points.append(
                {
                    "t": second,
                    "rate": bucket.count if bucket else 0,
                    "p50": percentile_of_sorted(ordered, 0.50),
                    "p95": percentile_of_sorted(ordered, 0.95),
                    "p99": percentile_of_sorted(ordered, 0.99),
                    "errors": sum(bucket.errors.values()) if bucket else 0,
                }
            )
            if bucket:
                errors.update(bucket.errors)
                minute.extend(bucket.latencies)
        minute.sort()
        return {
            "now": now,
            "points": points,
            "minute": {
                "p50": percentile_of_sorted(minute, 0.50),
                "p95": percentile_of_sorted(minute, 0.95),
                "p99": percentile_of_sorted(minute, 0.99),
            },
            "errors_by_type": dict(errors),
            "active_sandboxes": active_sandboxes,
        }
