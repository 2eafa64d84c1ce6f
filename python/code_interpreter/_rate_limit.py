"""Rate limits: executions per rolling minute for a sandbox, and live sandboxes per tenant.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

import threading
import time

from ._errors import RateLimitExceeded
from ._rate_window import SlidingWindow

__all__ = ["ExecutionRateLimiter", "tenants"]


class ExecutionRateLimiter:
    """At most `limit` executions in any 60-second window; memory bounded by `limit`."""

    WINDOW_S = 60.0

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._window = SlidingWindow(self.WINDOW_S)
        self._lock = threading.Lock()

    def admit(self) -> None:
        now = time.monotonic()
        with self._lock:
            retry = self._window.admit(now, self._limit)
        if retry is not None:
            raise RateLimitExceeded(
                f"more than {self._limit} executions per minute; retry in {retry:.1f} s"
            )


class TenantRegistry:
    """Live sandboxes per tenant id, process-wide."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, tenant_id: str, limit: int | None) -> None:
        with self._lock:
            count = self._counts.get(tenant_id, 0)
            if limit is not None and count >= limit:
                raise RateLimitExceeded(
                    f"tenant {tenant_id!r} already has {count} live sandboxes (limit {limit})"
                )
            self._counts[tenant_id] = count + 1

    def release(self, tenant_id: str) -> None:
        with self._lock:
            count = self._counts.get(tenant_id, 0) - 1
            if count > 0:
                self._counts[tenant_id] = count
            else:
                self._counts.pop(tenant_id, None)

    def live(self, tenant_id: str) -> int:
        with self._lock:
            return self._counts.get(tenant_id, 0)


tenants = TenantRegistry()
