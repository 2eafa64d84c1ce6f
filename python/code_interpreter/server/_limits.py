"""Limits of the service: a sliding-window rate limit per client, and a budget of body bytes
being parsed at once.

PYTEST_DONT_REWRITE (see code_interpreter.__init__)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator

from .._rate_window import SlidingWindow

__all__ = ["ByteBudget", "SlidingWindowLimiter"]


class SlidingWindowLimiter:
    """At most `count` events per `seconds` for each client. Clients seen least recently are
    forgotten past `max_clients`, so memory stays bounded whatever the number of clients."""

    def __init__(self, count: int, seconds: float, max_clients: int = 100_000) -> None:
        self._count = count
        self._seconds = seconds
        self._max_clients = max_clients
        self._windows: OrderedDict[str, SlidingWindow] = OrderedDict()

    def admit(self, client: str) -> float:
        """0 when admitted (and counted); else how many seconds until it would be."""
        window = self._windows.get(client)
        if window is None:
            window = self._windows[client] = SlidingWindow(self._seconds)
            if len(self._windows) > self._max_clients:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(client)
        wait = window.admit(time.monotonic(), self._count)
        return 0.0 if wait is None else max(wait, 0.001)

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
