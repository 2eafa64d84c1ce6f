"""One worker of a ClusterSandbox: a Ray actor process holding sandboxes.

Executions without a tenant share one `Sandbox`; each tenant routed here gets a `Sandbox` of
its own (its persistent state, its quota lease), the least recently used one being dropped when
more than `tenant_capacity` are held. Every outcome goes back as a value, ``(True, result)`` or
``(False, exception)``, so the driver re-raises the very exception with its fields instead of
Ray's wrapper."""

from __future__ import annotations

import dataclasses
import os
import pickle
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ray

from .. import _core
from .._errors import RateLimitExceeded, SandboxError, SandboxKilled
from .._metrics_snapshot import MetricsSnapshot
from .._options import SandboxOptions
from .._sandbox import Sandbox
from ._histogram import add_buckets

__all__ = ["RemoteSandboxWorker", "SandboxWorker", "arrived", "portable"]

if TYPE_CHECKING:
    Outcome = tuple[bool, Any]
    # (method, tenant, code, context, options) of one execution.
    Job = tuple[str, str | None, Any, Any, dict[str, Any]]


# Pickling keeps an exception's attributes but not its __cause__ (a host function's exception
# under a JavaScriptError): it travels as this attribute and is put back by `arrived`.
_CAUSE = "_cause_across_processes"


def _survives_pickling(value: object) -> bool:
    try:
        pickle.loads(pickle.dumps(value))
    except Exception:
        return False
    return True


def portable(error: BaseException) -> BaseException:
    """`error` if it survives pickling (ours do, with their fields), else a SandboxError
    naming it; its cause goes along when that survives too."""
    if not _survives_pickling(error):
        return SandboxError(f"{type(error).__name__}: {error}")
    cause = error.__cause__
    if cause is not None and _survives_pickling(cause):
        setattr(error, _CAUSE, cause)
    return error


def arrived(error: BaseException) -> BaseException:
    """The exception as raised on the worker, its cause put back."""
    cause = error.__dict__.pop(_CAUSE, None)
    if cause is not None:
        error.__cause__ = cause
    return error


class _Totals:
    """Counts of sandboxes this worker dropped, kept so its metrics cover all its executions."""

    def __init__(self) -> None:
        self.total = self.successful = self.failed = self.violations = 0
        self.sum_ms = 0.0
        self.buckets: dict[int, int] = {}
        self.memory_peak = 0

    def add(self, snapshot: MetricsSnapshot) -> None:
        self.total += snapshot.total
        self.successful += snapshot.successful
        self.failed += snapshot.failed
        self.sum_ms += snapshot.average_time * snapshot.total
        self.memory_peak = max(self.memory_peak, snapshot.memory_peak)
        self.violations += snapshot.violation_attempts
        add_buckets(self.buckets, snapshot.duration_buckets)


class SandboxWorker:
    def __init__(
        self,
        options: SandboxOptions,
        cluster_id: str,
        tenant_capacity: int,
        ledger: Any,
        max_sandboxes_per_user: int | None,
        max_executions_per_minute: int | None,
        background_threads: int = 2,
    ) -> None:
        # V8's compile and GC threads sized to the CPUs this worker reserved, so workers on
        # as many cores do not oversubscribe them (this process has not started V8 yet).
        _core.set_background_threads(background_threads)
        self._options = options
        self._cluster_id = cluster_id
        self._tenant_capacity = tenant_capacity
        self._ledger = ledger
        self._max_sandboxes_per_user = max_sandboxes_per_user
        self._max_executions_per_minute = max_executions_per_minute
        self._lock = threading.Lock()
        # Signalled when the last execution leaves (a graceful close waits for it).
        self._idle = threading.Condition(self._lock)
        self._closed = False
        self._tenants: OrderedDict[str, Sandbox] = OrderedDict()
        self._running: dict[str, int] = {}
        self._dropped = _Totals()
        self._executions = 0
        self._busy = 0
        self._shared: Sandbox | None = None
        # A bad option (a module not found, ...) is reported by ready(), as the exception
        # itself, rather than as an actor that died in its constructor.
        self._startup_error: BaseException | None = None
        try:
            self._shared = Sandbox(options)
        except Exception as error:
            self._startup_error = portable(error)

    # -- control (its own threads, answered while executions run) ------------------------
    @ray.method(concurrency_group="control")
    def ready(self) -> Outcome:
        if self._startup_error is not None:
            return False, self._startup_error
        context = ray.get_runtime_context()
        return True, {
            "pid": os.getpid(),
            "node": context.get_node_id(),
            "node_ip": ray.util.get_node_ip_address(),  # type: ignore[no-untyped-call]
        }

    @ray.method(concurrency_group="control")
    def ping(self) -> bool:
        return True

    @ray.method(concurrency_group="control")
    def status(self) -> dict[str, Any]:
        with self._lock:
            tenants = list(self._tenants)
            shared = self._shared
            report = {
                "pid": os.getpid(),
                "executions": self._executions,
                "busy": self._busy,
                "tenants": tenants,
            }
        # The shared sandbox's isolation: its mode, and its worker processes when it has them.
        report["isolation"] = shared.get_status()["isolation"] if shared is not None else None
        return report

    @ray.method(concurrency_group="control")
    def metrics(self) -> dict[str, Any]:
        """This worker's executions over all its sandboxes, dropped ones included."""
        with self._lock:
            sandboxes = list(self._tenants.values())
            totals = _Totals()
            for name in ("total", "successful", "failed", "violations", "sum_ms", "memory_peak"):
                setattr(totals, name, getattr(self._dropped, name))
            totals.buckets = dict(self._dropped.buckets)
        if self._shared is not None:
            sandboxes.append(self._shared)
        memory_current = 0
        for sandbox in sandboxes:
            snapshot = sandbox.metrics_snapshot()
            totals.add(snapshot)
            memory_current += snapshot.memory_current
        return {**vars(totals), "memory_current": memory_current}

    @ray.method(concurrency_group="control")
    def close(self, graceful: bool) -> None:
        """Kills every sandbox (graceful: after their running executions) and gives the
        tenants' leases back. An execution counts as running from the moment it was taken,
        before its sandbox admits it: a graceful close waits for it rather than refusing it."""
        with self._lock:
            self._closed = True
            if graceful:
                self._idle.wait_for(lambda: self._busy == 0)
            sandboxes = list(self._tenants.items())
            self._tenants.clear()
        for tenant, sandbox in sandboxes:
            sandbox.kill(graceful=graceful)
            self._release(tenant)
        if self._shared is not None:
            self._shared.kill(graceful=graceful)

    # -- executions ----------------------------------------------------------------------
    def run_batch(self, jobs: Sequence[Job]) -> list[Outcome]:
        """Runs each job ((method, tenant, code, context, options), method "interpret" or
        "execute") in its tenant's sandbox or the shared one, in order; an outcome per job."""
        refusals = self._admit(Counter(job[1] for job in jobs))
        outcomes: list[Outcome] = []
        for method, tenant, code, context, options in jobs:
            refusal = refusals.get(tenant)
            if refusal is not None:
                outcomes.append((False, RateLimitExceeded(refusal)))
                continue
            try:
                sandbox = self._enter(tenant)
            except Exception as error:
                outcomes.append((False, portable(error)))
                continue
            try:
                outcomes.append((True, getattr(sandbox, method)(code, context, **options)))
            except Exception as error:
                outcomes.append((False, portable(error)))
            finally:
                self._leave(tenant)
        return outcomes

    def run_many(
        self, tenant: str | None, codes: Sequence[Any], context: Any, options: dict[str, Any]
    ) -> list[Outcome]:
        """`interpret_many` of one share of a batch; an outcome per code, in order."""
        try:
            refusal = self._admit(Counter({tenant: len(codes)})).get(tenant)
            if refusal is not None:
                raise RateLimitExceeded(refusal)
            sandbox = self._enter(tenant)
        except Exception as error:
            return [(False, portable(error))] * len(codes)
        try:
            values = sandbox.interpret_many(codes, context, return_exceptions=True, **options)
        except Exception as error:
            return [(False, portable(error))] * len(codes)
        finally:
            self._leave(tenant, len(codes))
        return [
            (False, portable(value)) if isinstance(value, BaseException) else (True, value)
            for value in values
        ]

    def _admit(self, counts: Counter[str | None]) -> dict[str | None, str]:
        """Counts executions per tenant against the cluster-wide rate limit, all of one
        tenant's or none; returns the refusal message of each tenant refused."""
        limit = self._max_executions_per_minute
        if limit is None:
            return {}
        keys = {
            tenant: f"tenant:{tenant}" if tenant is not None else f"cluster:{self._cluster_id}"
            for tenant in counts
        }
        refusals = ray.get(
            self._ledger.admit_many.remote({keys[t]: n for t, n in counts.items()}, limit)
        )
        return {tenant: refusals[key] for tenant, key in keys.items() if key in refusals}

    def _enter(self, tenant: str | None) -> Sandbox:
        """The sandbox for `tenant`, made on first use; marks it running so it is not
        dropped meanwhile."""
        with self._lock:
            if self._closed:
                raise SandboxKilled("this worker's sandboxes were killed")
            if tenant is None:
                if self._shared is None:
                    raise SandboxError("this worker could not make its sandbox")
                sandbox = self._shared
            else:
                sandbox = self._tenant_sandbox(tenant)
            self._busy += 1
            if tenant is not None:
                self._running[tenant] = self._running.get(tenant, 0) + 1
        return sandbox

    def _leave(self, tenant: str | None, executions: int = 1) -> None:
        with self._lock:
            self._busy -= 1
            if self._busy == 0:
                self._idle.notify_all()
            self._executions += executions
            if tenant is not None:
                left = self._running[tenant] - 1
                if left:
                    self._running[tenant] = left
                else:
                    del self._running[tenant]

    def _tenant_sandbox(self, tenant: str) -> Sandbox:
        """Call with the lock held."""
        sandbox = self._tenants.get(tenant)
        if sandbox is not None and sandbox.is_active:
            self._tenants.move_to_end(tenant)
            return sandbox
        if self._max_sandboxes_per_user is not None:
            me = ray.get_runtime_context().current_actor
            refusal = ray.get(
                self._ledger.acquire.remote(
                    tenant, self._lease_id(tenant), self._max_sandboxes_per_user, me
                )
            )
            if refusal is not None:
                raise RateLimitExceeded(refusal)
        try:
            sandbox = Sandbox(dataclasses.replace(self._options, tenant_id=tenant))
        except BaseException:
            self._release(tenant)
            raise
        self._tenants[tenant] = sandbox
        self._drop_idle_tenants()
        return sandbox

    def _drop_idle_tenants(self) -> None:
        """Call with the lock held: past capacity, the least recently used idle tenants'
        sandboxes go (their state with them)."""
        excess = len(self._tenants) - self._tenant_capacity
        for tenant in list(self._tenants):
            if excess <= 0:
                break
            if tenant in self._running:
                continue
            sandbox = self._tenants.pop(tenant)
            self._dropped.add(sandbox.metrics_snapshot())
            sandbox.kill(graceful=False)
            self._release(tenant)
            excess -= 1

    def _lease_id(self, tenant: str) -> str:
        return f"{self._cluster_id}/{tenant}"

    def _release(self, tenant: str) -> None:
        if self._max_sandboxes_per_user is not None:
            self._ledger.release.remote(tenant, self._lease_id(tenant))


# Executions run on the actor's default threads (max_concurrency, set by the driver); control
# calls (status, metrics, close, liveness) have two threads of their own, so they answer while
# executions run.
RemoteSandboxWorker = ray.remote(concurrency_groups={"control": 2})(  # type: ignore[call-overload]
    SandboxWorker
)
