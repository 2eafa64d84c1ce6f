"""Merged duration histograms give the percentiles the native histogram gives."""

from __future__ import annotations

from code_interpreter import create_sandbox
from code_interpreter.distributed._histogram import add_buckets, percentile


def test_one_sandbox_buckets_give_its_own_percentiles() -> None:
    sandbox = create_sandbox()
    for n in (0, 10, 1_000, 100_000, 300_000) * 4:
        sandbox.interpret(f"let s = 0; for (let i = 0; i < {n}; i++) s += i; s")
    native = sandbox.get_metrics()["executions"]
    counts = add_buckets({}, sandbox._native.duration_buckets())
    assert sum(counts.values()) == native["total"] == 20
    assert percentile(counts, 0.5) == native["median_time"]
    assert percentile(counts, 0.95) == native["p95_time"]
    assert percentile(counts, 0.99) == native["p99_time"]
    sandbox.kill()


def test_merging_adds_counts_bucket_by_bucket() -> None:
    merged = add_buckets(add_buckets({}, [(3, 2), (10, 1)]), [(10, 4), (500, 1)])
    assert merged == {3: 2, 10: 5, 500: 1}
    assert percentile(merged, 0.5) == percentile({10: 1}, 0.5)
    assert percentile(merged, 0.99) == percentile({500: 1}, 0.5)
    assert percentile({}, 0.5) == 0.0
