"""The sliding window that the sandbox's, the service's and the cluster's rate limits share."""

from __future__ import annotations

from code_interpreter._rate_window import SlidingWindow


def test_a_full_window_refuses_until_its_oldest_event_leaves() -> None:
    window = SlidingWindow(60.0)
    assert window.admit(100.0, limit=2) is None
    assert window.admit(110.0, limit=2) is None
    assert window.admit(120.0, limit=2) == 40.0
    assert window.admit(160.0, limit=2) is None  # the event at 100 s has left


def test_a_batch_is_counted_whole_or_not_at_all() -> None:
    window = SlidingWindow(60.0)
    assert window.admit(0.0, limit=3, count=2) is None
    assert window.admit(1.0, limit=3, count=2) == 59.0
    assert window.admit(1.0, limit=3, count=1) is None
    assert window.admit(2.0, limit=5, count=4) == 58.0  # nothing of it counted
    assert window.admit(70.0, limit=1, count=2) == 60.0  # never fits: the whole window


def test_a_window_is_quiet_once_its_last_event_left() -> None:
    window = SlidingWindow(10.0)
    assert window.is_quiet(0.0)
    window.admit(5.0, limit=1)
    assert not window.is_quiet(14.0)
    assert window.is_quiet(15.0)
