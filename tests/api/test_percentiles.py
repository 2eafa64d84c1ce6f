"""One percentile definition (the nearest rank) for every report the Python side computes."""

from __future__ import annotations

from code_interpreter._percentiles import (
    bucket_at_percentile,
    nearest_rank,
    percentile_of_sorted,
)


def test_the_nearest_rank_counts_from_one() -> None:
    assert nearest_rank(0.95, 100) == 95
    assert nearest_rank(0.5, 3) == 2
    assert nearest_rank(0.0, 10) == 1


def test_sorted_values_and_histograms_agree() -> None:
    ordered = [1.0, 2.0, 2.0, 3.0, 7.0]
    counts = {1: 1, 2: 2, 3: 1, 7: 1}
    for fraction in (0.0, 0.2, 0.5, 0.6, 0.95, 1.0):
        assert percentile_of_sorted(ordered, fraction) == bucket_at_percentile(counts, fraction)


def test_nothing_counted_gives_none() -> None:
    assert percentile_of_sorted([], 0.5) is None
    assert bucket_at_percentile({}, 0.5) is None
    assert bucket_at_percentile({4: 0}, 0.5) is None
