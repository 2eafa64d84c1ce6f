"""What a percentile is, for every report the Python side computes: the nearest rank, as the
native execution histogram also defines it. The `fraction` percentile of `total` ordered
values is the value of rank ``ceil(fraction * total)`` (at least 1), counted from 1.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = ["bucket_at_percentile", "nearest_rank", "percentile_of_sorted"]


def nearest_rank(fraction: float, total: int) -> int:
    """The rank, from 1, of the `fraction` percentile among `total` ordered values."""
    return max(1, math.ceil(fraction * total))


def percentile_of_sorted(ordered: Sequence[float], fraction: float) -> float | None:
    """The `fraction` percentile of values sorted in ascending order; None when there are none."""
    if not ordered:
        return None
    return ordered[nearest_rank(fraction, len(ordered)) - 1]


def bucket_at_percentile(counts: Mapping[int, int], fraction: float) -> int | None:
    """The index of the histogram bucket holding the `fraction` percentile (0 to 1), buckets
    ordered by index and `counts` their sizes; None when the histogram is empty."""
    total = sum(counts.values())
    if total == 0:
        return None
    rank = min(nearest_rank(fraction, total), total)
    seen = 0
    for index in sorted(counts):
        seen += counts[index]
        if seen >= rank:
            return index
    return max(counts)  # counts of 0 only past the rank: the last bucket
