"""Execution-time histograms of several sandboxes merged into one, for cluster percentiles.

Each sandbox counts its durations in the same log-scale buckets (the native layout named by
``_core.DURATION_*``), so adding the counts bucket by bucket gives the histogram of all of them:
the cluster's p95 is a real p95, not an average of the workers' p95s."""

from __future__ import annotations

from collections.abc import Iterable

from .._core import DURATION_GROWTH, DURATION_SMALLEST_MS
from .._percentiles import bucket_at_percentile

__all__ = ["add_buckets", "percentile"]


def add_buckets(into: dict[int, int], buckets: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Adds (index, count) pairs into `into` and returns it."""
    for index, count in buckets:
        into[index] = into.get(index, 0) + count
    return into


def percentile(counts: dict[int, int], fraction: float) -> float:
    """The `fraction` percentile in ms, as the native histogram computes it (the geometric
    middle of the bucket holding that rank); 0.0 when there are no counts."""
    index = bucket_at_percentile(counts, fraction)
    if index is None:
        return 0.0
    if index == 0:
        return DURATION_SMALLEST_MS
    return float(DURATION_SMALLEST_MS * DURATION_GROWTH ** (index - 0.5))
