"""The sliding window every rate limit counts in: the execution limit of a sandbox, the
service's per-client limit and the cluster's per-tenant limit.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

from collections import deque
from itertools import repeat

__all__ = ["SlidingWindow"]


class SlidingWindow:
    """The times of the events counted in the last `seconds`, at most as many as the largest
    limit asked for. Not locked: the caller serializes its calls. Times are the caller's
    (``time.monotonic()``). The limit is given per call because the cluster's ledger holds
    one window per tenant for clusters that may set different limits."""

    __slots__ = ("_seconds", "_times")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._times: deque[float] = deque()

    def admit(self, now: float, limit: int, count: int = 1) -> float | None:
        """Counts `count` events at `now` if the window then holds at most `limit`, and returns
        None; otherwise counts none and returns the seconds until the oldest event leaves."""
        times = self._times
        while times and now - times[0] >= self._seconds:
            times.popleft()
        if len(times) + count > limit:
            return times[0] + self._seconds - now if times else self._seconds
        times.extend(repeat(now, count))
        return None

    def is_quiet(self, now: float) -> bool:
        """Whether no counted event is left in the window at `now`."""
        return not self._times or now - self._times[-1] >= self._seconds
