"""ClusterSandbox: the sandbox API over Ray actors, each holding sandboxes in its own process.

PYTEST_DONT_REWRITE (see code_interpreter/__init__)."""

from __future__ import annotations

import concurrent.futures
import math
import os
import threading
import time
import uuid
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ray

from .._errors import ConfigurationError, SandboxError
from .._kill_on_exit import KillOnExit
from .._result import ExecutionResult
from .._validation import is_int, is_positive_number
from ._dispatcher import CONTROL_TIMEOUT_S, Dispatcher, Slot, gather
from ._histogram import add_buckets, percentile
from ._ledger import ledger_actor
from ._setup import end_cluster, split_options, start_ray
from ._worker import RemoteSandboxWorker

if TYPE_CHECKING:
    from .._api import SandboxAPI

__all__ = ["ClusterSandbox"]

# Threads of a worker that run executions: batches of different callers on one worker go side
# by side (a sandbox still runs at most max_concurrent_executions at once).
RUN_THREADS = 4


class ClusterSandbox(KillOnExit):
    """The `Sandbox` API on a Ray cluster: `workers` actor processes, each holding sandboxes
    made with `sandbox_options`.

    ``address=None`` starts a local Ray cluster (ended by `kill`); an address (``"auto"``,
    ``"ray://host:10001"``, ...) joins an existing one. An already connected Ray is used as is.
    Executions with a ``tenant_id`` always go to the same worker and run in that tenant's own
    sandbox; others go to the least loaded worker. ``rate_limiting`` holds cluster-wide (see
    README "Scale-out on Ray"). ``cpus_per_worker`` is what each worker reserves from Ray's
    scheduler; ``tenants_per_worker`` bounds the tenant sandboxes a worker keeps.
    """

    def __init__(
        self,
        address: str | None = None,
        workers: int = 2,
        *,
        cpus_per_worker: float = 1.0,
        tenants_per_worker: int = 64,
        start_timeout: float = 120.0,
        **sandbox_options: Any,
    ) -> None:
        if not is_int(workers, 1, 4096):
            raise ConfigurationError(f"workers must be an int in 1..4096, not {workers!r}")
        if not (is_positive_number(cpus_per_worker) and cpus_per_worker <= 1024):
            raise ConfigurationError(
                f"cpus_per_worker must be in (0, 1024], not {cpus_per_worker!r}"
            )
        if not is_int(tenants_per_worker, 1, 100_000):
            raise ConfigurationError(
                f"tenants_per_worker must be an int in 1..100000, not {tenants_per_worker!r}"
            )
        if not isinstance(start_timeout, (int, float)) or not start_timeout > 0:
            raise ConfigurationError("start_timeout must be a positive number of seconds")
        self._options, self._limits, self._default_tenant = split_options(sandbox_options)
        self.id = f"cluster-{uuid.uuid4().hex[:12]}"
        self._owns_ray = False
        if not ray.is_initialized():
            start_ray(address, math.ceil(workers * cpus_per_worker))
            self._owns_ray = True
        self._lock = threading.Lock()
        self._active = True
        self._created = time.monotonic()
        self._cpus_per_worker = float(cpus_per_worker)
        self._tenants_per_worker = tenants_per_worker
        limits = self._limits
        needs_ledger = limits is not None and (
            limits.max_sandboxes_per_user is not None
            or limits.max_executions_per_minute is not None
        )
        self._ledger = ledger_actor() if needs_ledger else None
        self._finalizer: Any = None
        self._dispatcher = Dispatcher(self._new_actor, workers, self._track)
        self._track(self._dispatcher.slots)
        try:
            self._wait_ready(start_timeout)
        except BaseException:
            self._active = False
            self._end_now()
            raise

    # -- executions ----------------------------------------------------------------------
    def interpret(
        self,
        code: str,
        context: dict[str, Any] | None = None,
        *,
        tenant_id: str | None = None,
        timeout: float | None = None,
        return_raw_result: bool = False,
        enable_profiling: bool = False,
    ) -> Any:
        """As `Sandbox.interpret`, on a worker: the tenant's, or the least loaded one."""
        options = _per_call(timeout, return_raw_result, enable_profiling=enable_profiling)
        return self._call("interpret", code, context, tenant_id, options)

    def execute(
        self,
        code: str,
        context: dict[str, Any] | None = None,
        *,
        tenant_id: str | None = None,
        timeout: float | None = None,
        return_raw_result: bool = True,
        enable_profiling: bool = False,
    ) -> ExecutionResult:
        """As `Sandbox.execute`, on a worker."""
        options = _per_call(timeout, return_raw_result, enable_profiling=enable_profiling)
        result: ExecutionResult = self._call("execute", code, context, tenant_id, options)
        return result

    def interpret_file(
        self, path: str | os.PathLike[str], context: dict[str, Any] | None = None, **options: Any
    ) -> Any:
        """Runs the JavaScript in the UTF-8 file at `path` (read here, not on the worker)."""
        return self.interpret(Path(path).read_text(encoding="utf-8"), context, **options)

    def submit(
        self,
        code: str,
        context: dict[str, Any] | None = None,
        *,
        tenant_id: str | None = None,
        timeout: float | None = None,
        return_raw_result: bool = False,
    ) -> concurrent.futures.Future[Any]:
        """Starts `interpret` on a worker and returns at once; the future gives its result
        or raises its exception."""
        options = _per_call(timeout, return_raw_result)
        return self._submit("interpret", code, context, tenant_id, options)

    def interpret_many(
        self,
        codes: Sequence[str],
        context: dict[str, Any] | None = None,
        *,
        tenant_id: str | None = None,
        timeout: float | None = None,
        return_raw_result: bool = False,
        return_exceptions: bool = False,
    ) -> list[Any]:
        """Runs the codes spread over the workers in contiguous shares, one round trip per
        worker (a tenant's all on its worker); results in order. With ``return_exceptions`` a
        failed code gives its exception in place, otherwise the first failure is raised."""
        if isinstance(codes, str) or not isinstance(codes, Sequence):
            raise TypeError(f"codes must be a sequence of str, not {type(codes).__name__}")
        for code in codes:
            _check_code(code)
        if not codes:
            return []
        options = _per_call(timeout, return_raw_result)
        tenant = self._tenant(tenant_id)
        shares = 1 if tenant is not None else min(len(self._dispatcher.slots), len(codes))
        bounds = [len(codes) * i // shares for i in range(shares + 1)]
        waits = [
            self._dispatcher.run_share(tenant, list(codes[start:stop]), context, options)
            for start, stop in zip(bounds, bounds[1:])
        ]
        results = [value for wait in waits for _, value in wait()]
        if not return_exceptions:
            for value in results:
                if isinstance(value, BaseException):
                    raise value
        return results

    # -- reports -------------------------------------------------------------------------
    @property
    def is_active(self) -> bool:
        return self._active

    @property
    def execution_count(self) -> int:
        """Executions that finished (with a result or an error) through this object."""
        return self._dispatcher.finished

    @property
    def workers(self) -> int:
        return len(self._dispatcher.slots)

    def get_status(self) -> dict[str, Any]:
        """The cluster sandbox and each worker: pid, node, executions, busy, tenants,
        isolation (as a sandbox's status has it), restarts; ``alive`` is False for a worker
        that did not answer."""
        slots = list(self._dispatcher.slots)
        refs = [slot.actor.status.remote() for slot in slots] if self._active else []
        reports = gather(refs)
        workers = []
        for slot in slots:
            report = reports[slot.index] if reports else None
            workers.append(
                {
                    "index": slot.index,
                    "alive": report is not None,
                    "pid": report["pid"] if report else slot.pid,
                    "node": slot.node,
                    "node_ip": slot.node_ip,
                    "executions": report["executions"] if report else 0,
                    "busy": report["busy"] if report else 0,
                    "tenants": report["tenants"] if report else [],
                    "isolation": report["isolation"] if report else None,
                    "restarts": slot.restarts,
                }
            )
        return {
            "id": self.id,
            "is_active": self._active,
            "execution_count": self._dispatcher.finished,
            "uptime": (time.monotonic() - self._created) * 1000,
            "workers": workers,
            "tenants": self._dispatcher.tenants,
            "options": self._options.as_dict(),
        }

    def get_metrics(self) -> dict[str, Any]:
        """`Sandbox.get_metrics` over every sandbox of every worker that answers, with
        percentiles from the merged histograms; per-worker totals under ``workers``."""
        slots = self._dispatcher.slots
        refs = [slot.actor.metrics.remote() for slot in slots] if self._active else []
        reports = [report for report in gather(refs) if report is not None]
        buckets: dict[int, int] = {}
        for report in reports:
            add_buckets(buckets, report["buckets"].items())
        total = sum(report["total"] for report in reports)
        sum_ms = sum(report["sum_ms"] for report in reports)
        return {
            "executions": {
                "total": total,
                "successful": sum(report["successful"] for report in reports),
                "failed": sum(report["failed"] for report in reports),
                "average_time": sum_ms / total if total else 0.0,
                "median_time": percentile(buckets, 0.5),
                "p95_time": percentile(buckets, 0.95),
                "p99_time": percentile(buckets, 0.99),
            },
            "memory": {
                "peak": max((report["memory_peak"] for report in reports), default=0),
                "current": sum(report["memory_current"] for report in reports),
                "limit": self._options.memory_limit_mb * 1024 * 1024,
            },
            "security": {
                "violation_attempts": sum(report["violations"] for report in reports),
            },
            "workers": [
                {"total": report["total"], "failed": report["failed"]} for report in reports
            ],
        }

    # -- lifetime ------------------------------------------------------------------------
    def kill(self, graceful: bool = True) -> None:
        """Stops every worker (graceful: after their running executions; otherwise those
        raise `SandboxKilled`), gives the tenants' quota back, and ends the local Ray cluster
        this object started. Idempotent."""
        with self._lock:
            if not self._active:
                return
            self._active = False
        slots = self._dispatcher.close()
        gather([slot.actor.close.remote(graceful) for slot in slots])
        if graceful:
            # The workers finished; their last answers may still be on their way.
            self._dispatcher.wait_settled(CONTROL_TIMEOUT_S)
        self._finalizer.detach()
        end_cluster([slot.actor for slot in slots], self._ledger, self.id, self._owns_ray)

    def __repr__(self) -> str:
        state = "active" if self._active else "killed"
        return f"<ClusterSandbox {self.id} workers={self.workers} {state}>"

    # -- internals -----------------------------------------------------------------------
    def _new_actor(self) -> Any:
        limits = self._limits
        return RemoteSandboxWorker.options(
            num_cpus=self._cpus_per_worker, max_concurrency=RUN_THREADS, max_restarts=0
        ).remote(
            self._options,
            self.id,
            self._tenants_per_worker,
            self._ledger,
            limits.max_sandboxes_per_user if limits else None,
            limits.max_executions_per_minute if limits else None,
            max(1, math.ceil(self._cpus_per_worker)),
        )

    def _end_now(self) -> None:
        self._finalizer()

    def _track(self, slots: list[Slot]) -> None:
        """Keeps the finalizer's list of workers current (a replaced worker is added)."""
        if self._finalizer is not None:
            self._finalizer.detach()
        self._finalizer = weakref.finalize(
            self, end_cluster, [slot.actor for slot in slots], self._ledger, self.id, self._owns_ray
        )

    def _wait_ready(self, timeout: float) -> None:
        slots = self._dispatcher.slots
        refs = [slot.actor.ready.remote() for slot in slots]
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=timeout)
        if len(ready) < len(refs):
            cpus = ray.available_resources().get("CPU", 0)  # type: ignore[no-untyped-call]
            raise SandboxError(
                f"only {len(ready)} of {len(refs)} workers started within {timeout} s; each "
                f"reserves {self._cpus_per_worker} CPU and the cluster has {cpus} free"
            )
        for slot, ref in zip(slots, refs):
            try:
                ok, info = ray.get(ref)
            except ray.exceptions.RayError as error:
                raise SandboxError(f"a worker failed to start: {error}") from None
            if not ok:
                raise info
            slot.learn(info)

    def _tenant(self, tenant_id: str | None) -> str | None:
        tenant = tenant_id if tenant_id is not None else self._default_tenant
        if tenant is not None and (not isinstance(tenant, str) or not tenant):
            raise ConfigurationError(f"tenant_id must be a non-empty str, not {tenant!r}")
        return tenant

    def _submit(
        self, method: str, code: Any, context: Any, tenant_id: str | None, options: dict[str, Any]
    ) -> concurrent.futures.Future[Any]:
        _check_code(code)
        return self._dispatcher.submit((method, self._tenant(tenant_id), code, context, options))

    def _call(
        self, method: str, code: Any, context: Any, tenant_id: str | None, options: dict[str, Any]
    ) -> Any:
        return self._submit(method, code, context, tenant_id, options).result()


if TYPE_CHECKING:

    def _satisfies_the_api(sandbox: ClusterSandbox) -> SandboxAPI:
        return sandbox  # mypy checks ClusterSandbox against the protocol here


def _per_call(timeout: float | None, return_raw_result: bool, **more: bool) -> dict[str, Any]:
    """The per-call options a worker passes on to its sandbox."""
    return {"timeout": timeout, "return_raw_result": return_raw_result, **more}


def _check_code(code: object) -> None:
    if not isinstance(code, str):
        raise TypeError(f"code must be a str, not {type(code).__name__}")
