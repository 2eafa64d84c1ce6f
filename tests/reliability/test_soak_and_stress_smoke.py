"""Few-second versions of ci/soak and ci/stress, run with the suite."""

from __future__ import annotations

import soak
import stress


def test_soak_smoke_keeps_rss_threads_and_fds_flat() -> None:
    report = soak.soak(soak.SMOKE)
    assert report.problems() == [], report.samples
    assert len(report.samples) == 4


def test_stress_smoke_every_call_returns_a_typed_outcome() -> None:
    run = stress.stress(threads=8, seconds=3)
    assert run.unexpected == []
    kinds = {key.split(":")[0] for key in run.counts}
    assert {"value", "timeout", "bomb", "kill"} <= kinds, run.counts
    assert run.counts["value:ok"] > 0
