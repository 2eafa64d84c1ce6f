"""The service's sandboxes: one per (API key, userId), made on first use, killed when idle,
bounded in number.

PYTEST_DONT_REWRITE (see code_interpreter.__init__)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._async_sandbox import AsyncSandbox, create_async_sandbox

__all__ = ["AtCapacity", "SandboxRegistry"]


class AtCapacity(Exception):
    """Every sandbox slot is held by a sandbox that is running something."""


@dataclass
class _Entry:
    sandbox: AsyncSandbox
    last_used: float = field(default_factory=time.monotonic)
    running: int = 0


class SandboxRegistry:
    def __init__(self, options: Mapping[str, Any], max_sandboxes: int, idle_timeout: float) -> None:
        self._options = dict(options)
        self._max = max_sandboxes
        self._idle_timeout = idle_timeout
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def count(self, owner: str) -> int:
        """Live sandboxes of `owner`."""
        return sum(1 for entry_owner, _ in self._entries if entry_owner == owner)

    def find(self, owner: str, user: str) -> AsyncSandbox | None:
        entry = self._entries.get((owner, user))
        return entry.sandbox if entry is not None else None

    async def acquire(self, owner: str, user: str) -> AsyncSandbox:
        """The sandbox of (owner, user), marked running until `release`."""
        async with self._lock:
            entry = self._entries.get((owner, user))
            if entry is None or not entry.sandbox.is_active:
                if len(self._entries) >= self._max and not await self._evict_one():
                    raise AtCapacity()
                entry = _Entry(await create_async_sandbox(**self._options))
                self._entries[(owner, user)] = entry
            entry.running += 1
            entry.last_used = time.monotonic()
            return entry.sandbox

    def release(self, owner: str, user: str) -> None:
        entry = self._entries.get((owner, user))
        if entry is not None:
            entry.running -= 1
            entry.last_used = time.monotonic()

    async def _evict_one(self) -> bool:
        idle = [(e.last_used, key) for key, e in self._entries.items() if e.running == 0]
        if not idle:
            return False
        _, key = min(idle)
        await self._entries.pop(key).sandbox.kill(graceful=False)
        return True

    async def expire_idle(self) -> int:
        """Kills sandboxes unused for the idle timeout; how many."""
        deadline = time.monotonic() - self._idle_timeout
        async with self._lock:
            stale = [
                k for k, e in self._entries.items() if e.running == 0 and e.last_used < deadline
            ]
            for key in stale:
                await self._entries.pop(key).sandbox.kill(graceful=False)
        return len(stale)

    async def close(self) -> None:
        async with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
        for entry in entries:
            await entry.sandbox.kill(graceful=True)
