"""Limits of the service: a sliding-window rate limit per client, and a budget of body bytes
being parsed at once.

PYTEST_DONT_REWRITE (see code_interpreter.__init__)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator

__all__ = ["ByteBudget", "SlidingWindowLimiter"]


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


class ByteBudget:
    """At most `capacity` bytes held at once, on the event loop. Holders of up to `small` bytes
    may use the whole capacity; larger ones only `capacity - reserve`, so small holders are
    never kept waiting by large ones alone. A waiter goes as soon as it fits, whatever its
    place in the queue: a small one is not held behind a large one."""

    def __init__(self, capacity: int, small: int, reserve: int) -> None:
        if capacity <= reserve:
            raise ValueError("capacity must be larger than the reserve")
        self._capacity = capacity
        self._small = small
        self._reserve = reserve
        self._held = 0
        self._changed = asyncio.Condition()

    @property
    def held(self) -> int:
        return self._held

    def _fits(self, size: int) -> bool:
        room = self._capacity if size <= self._small else self._capacity - self._reserve
        return self._held + size <= room

    @contextlib.asynccontextmanager
    async def hold(self, size: int, timeout: float) -> AsyncIterator[None]:
        """Holds `size` bytes for the block; TimeoutError when they do not fit in `timeout`
        seconds. `size` must fit in an empty budget."""
        size = max(size, 1)
        if not self._fits(size) and self._held == 0:
            raise ValueError(f"{size} bytes never fit in this budget")
        async with self._changed:
            if not self._fits(size):  # wait_for costs a task: only when there is a wait
                await asyncio.wait_for(self._changed.wait_for(lambda: self._fits(size)), timeout)
            self._held += size
        try:
            yield
        finally:
            async with self._changed:
                self._held -= size
                self._changed.notify_all()
