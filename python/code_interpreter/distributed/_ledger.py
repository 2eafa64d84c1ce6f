"""The cluster-wide limits: one named Ray actor that every ClusterSandbox of the cluster shares.

It holds the tenants' sandbox leases (``max_sandboxes_per_user``) and the executions-per-minute
windows (``max_executions_per_minute``), so the limits hold whichever driver, ClusterSandbox or
worker serves a tenant. It answers with a refusal message instead of raising, so the caller
raises `RateLimitExceeded` itself, unwrapped by Ray."""

from __future__ import annotations

import time
from typing import Any

import ray

from .._rate_window import SlidingWindow

__all__ = ["LEDGER_NAME", "LEDGER_NAMESPACE", "Ledger", "ledger_actor"]

LEDGER_NAME = "code_interpreter.limits"
LEDGER_NAMESPACE = "code_interpreter"
WINDOW_S = 60.0
# How long a holder may take to answer before a full quota counts it as alive anyway.
LIVENESS_TIMEOUT_S = 5.0


class Ledger:
    def __init__(self) -> None:
        # tenant -> lease id -> the worker actor holding the tenant's sandbox.
        self._leases: dict[str, dict[str, Any]] = {}
        self._windows: dict[str, SlidingWindow] = {}

    def acquire(self, tenant: str, lease_id: str, limit: int | None, holder: Any) -> str | None:
        """Takes a sandbox lease for `tenant`; a lease id already held is taken over (a
        replaced worker re-hosting the tenant). Returns a refusal message, or None."""
        leases = self._leases.setdefault(tenant, {})
        if lease_id not in leases and limit is not None and len(leases) >= limit:
            self._drop_dead_holders(tenant)
            if len(leases) >= limit:
                return f"tenant {tenant!r} already has {len(leases)} live sandboxes (limit {limit})"
        leases[lease_id] = holder
        return None

    def release(self, tenant: str, lease_id: str) -> None:
        leases = self._leases.get(tenant)
        if leases is not None:
            leases.pop(lease_id, None)
            if not leases:
                del self._leases[tenant]

    def release_prefix(self, prefix: str) -> None:
        """Releases every lease whose id starts with `prefix` (a ClusterSandbox that ended)."""
        for tenant in list(self._leases):
            for lease_id in [lease for lease in self._leases[tenant] if lease.startswith(prefix)]:
                self.release(tenant, lease_id)

    def live(self, tenant: str) -> int:
        return len(self._leases.get(tenant, {}))

    def admit(self, key: str, limit: int, count: int) -> str | None:
        """Counts `count` executions under `key` if all fit in the rolling minute; returns a
        refusal message otherwise (none of them is counted then)."""
        now = time.monotonic()
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = SlidingWindow(WINDOW_S)
        retry = window.admit(now, limit, count)
        if retry is not None:
            return f"more than {limit} executions per minute; retry in {retry:.1f} s"
        # Windows of keys gone quiet are dropped, so memory follows the active keys only.
        if len(self._windows) > 1024:
            for stale in [k for k, w in self._windows.items() if w.is_quiet(now)]:
                del self._windows[stale]
        return None

    def admit_many(self, counts: dict[str, int], limit: int) -> dict[str, str]:
        """`admit` for several keys at once; the refusal message of each key refused."""
        refusals = {}
        for key, count in counts.items():
            refusal = self.admit(key, limit, count)
            if refusal is not None:
                refusals[key] = refusal
        return refusals

    def _drop_dead_holders(self, tenant: str) -> None:
        """Forgets leases whose worker is gone (its driver crashed, or it was SIGKILLed and
        nobody released for it)."""
        leases = self._leases[tenant]
        pings = {holder.ping.remote(): lease_id for lease_id, holder in leases.items()}
        done, _ = ray.wait(list(pings), num_returns=len(pings), timeout=LIVENESS_TIMEOUT_S)
        for ref in done:
            try:
                ray.get(ref)
            except ray.exceptions.RayActorError:
                leases.pop(pings[ref], None)


def ledger_actor() -> Any:
    """The cluster's ledger, made by the first caller. Detached, so it outlives the driver
    that made it while other drivers still count on it; it takes no CPU."""
    return (
        ray.remote(Ledger)
        .options(
            name=LEDGER_NAME,
            namespace=LEDGER_NAMESPACE,
            lifetime="detached",
            get_if_exists=True,
            num_cpus=0,
        )
        .remote()
    )
