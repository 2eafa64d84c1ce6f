"""Execution metrics in constant memory: counters and a log-scale histogram of durations."""

from __future__ import annotations

import math
import threading

__all__ = ["ExecutionMetrics"]


class DurationHistogram:
    """Durations in buckets growing by 5% from 1 us to ~30 min: percentiles within 2.5%,
    memory fixed whatever the number of executions."""

    _GROWTH = 1.05
    _SMALLEST_MS = 0.001
    _BUCKETS = 600

    def __init__(self) -> None:
        self._counts = [0] * self._BUCKETS
        self._log_growth = math.log(self._GROWTH)

    def add(self, ms: float) -> None:
        if ms <= self._SMALLEST_MS:
            index = 0
        else:
            index = min(
                int(math.log(ms / self._SMALLEST_MS) / self._log_growth) + 1, self._BUCKETS - 1
            )
        self._counts[index] += 1

    def percentile(self, fraction: float, total: int) -> float:
        if total == 0:
            return 0.0
        rank = max(1, math.ceil(fraction * total))
        seen = 0
        for index, count in enumerate(self._counts):
            seen += count
            if seen >= rank:
                if index == 0:
                    return self._SMALLEST_MS
                # Geometric middle of the bucket.
                return float(self._SMALLEST_MS * self._GROWTH ** (index - 0.5))
        return float(self._SMALLEST_MS * self._GROWTH**self._BUCKETS)


class ExecutionMetrics:
    """Counts and timings of one sandbox's executions, and its memory readings."""

    def __init__(self, memory_limit: int) -> None:
        self._lock = threading.Lock()
        self.total = 0
        self.successful = 0
        self.failed = 0
        self.violations = 0
        self._time_sum = 0.0
        self._histogram = DurationHistogram()
        self.memory_limit = memory_limit
        self.memory_current = 0
        self.memory_peak = 0

    def record(self, duration_ms: float, ok: bool) -> None:
        with self._lock:
            self.total += 1
            if ok:
                self.successful += 1
            else:
                self.failed += 1
            self._time_sum += duration_ms
            self._histogram.add(duration_ms)

    def record_violation(self) -> None:
        with self._lock:
            self.violations += 1

    def record_memory(self, heap_used: int) -> None:
        self.memory_current = heap_used
        if heap_used > self.memory_peak:
            self.memory_peak = heap_used

    def timings(self) -> dict[str, float]:
        with self._lock:
            total = self.total
            return {
                "average_time": self._time_sum / total if total else 0.0,
                "median_time": self._histogram.percentile(0.5, total),
                "p95_time": self._histogram.percentile(0.95, total),
                "p99_time": self._histogram.percentile(0.99, total),
            }
