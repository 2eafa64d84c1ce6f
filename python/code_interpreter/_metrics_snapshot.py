"""A sandbox's execution counters at one moment, as one value.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MetricsSnapshot"]


@dataclass(frozen=True)
class MetricsSnapshot:
    """What `Sandbox.metrics_snapshot()` gives: the counters behind ``get_metrics()``, in a
    form that adds up over several sandboxes (a cluster worker reports its sandboxes' sum).

    Times are in ms, memory in bytes. ``duration_buckets`` holds (bucket index, count) pairs
    of the execution-time histogram; every sandbox uses the same log-scale buckets, so adding
    the counts of several sandboxes bucket by bucket gives the histogram of all of them.

    Example::

        snapshot = sandbox.metrics_snapshot()
        snapshot.total, snapshot.failed, snapshot.average_time   # -> (12, 1, 0.08)
    """

    total: int
    successful: int
    failed: int
    average_time: float
    memory_peak: int
    memory_current: int
    violation_attempts: int
    duration_buckets: tuple[tuple[int, int], ...]
