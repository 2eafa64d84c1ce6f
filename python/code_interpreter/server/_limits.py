"""Per-client limits of the service: a sliding-window rate limit.

PYTEST_DONT_REWRITE (see code_interpreter.__init__)."""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque

__all__ = ["SlidingWindowLimiter"]


class SlidingWindowLimiter:
    """At most `count` events per `seconds` for each client. Clients seen least recently are
    forgotten past `max_clients`, so memory stays bounded whatever the number of clients."""

    def __init__(self, count: int, seconds: float, max_clients: int = 100_000) -> None:
        self._count = count
        self._seconds = seconds
        self._max_clients = max_clients
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def admit(self, client: str) -> float:
        """0 when admitted (and counted); else how many seconds until it would be."""
        now = time.monotonic()
        events = self._events.get(client)
        if events is None:
            events = self._events[client] = deque()
            if len(self._events) > self._max_clients:
                self._events.popitem(last=False)
        else:
            self._events.move_to_end(client)
        while events and events[0] <= now - self._seconds:
            events.popleft()
        if len(events) >= self._count:
            return max(events[0] + self._seconds - now, 0.001)
        events.append(now)
        return 0.0

    @staticmethod
    def retry_after(seconds: float) -> str:
        return str(max(1, math.ceil(seconds)))
