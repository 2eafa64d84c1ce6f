"""What the sync and async sandboxes share: options, the native pool, the scanner, events,
metrics, rate limits and lifecycle. Each subclass has its own call path.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Sequence
from typing import Any

from . import _core
from ._errors import (
    ConfigurationError,
    JavaScriptError,
    SandboxError,
    SandboxKilled,
    SecurityViolation,
)
from ._events import (
    EventEmitter,
    ExecutionCompleteEvent,
    ExecutionErrorEvent,
    ExecutionStartEvent,
    KilledEvent,
    Listener,
    MemoryWarningEvent,
    ReadyEvent,
    SecurityViolationEvent,
)
from ._execution_log import log_execution
from ._host import awaiting_on_loop, check_expose, is_async, start_interrupter
from ._lifecycle import schedule
from ._metrics_snapshot import MetricsSnapshot
from ._modules import load_modules
from ._native_config import native_config
from ._options import SandboxOptions
from ._rate_limit import ExecutionRateLimiter, tenants
from ._scanner import LEVELS, Scanner, custom_level
from ._source_note import add_source_note
from ._validation import is_positive_number

__all__ = ["SandboxBase", "live_sandboxes"]

logger = logging.getLogger("code_interpreter")

live_sandboxes: weakref.WeakSet[SandboxBase] = weakref.WeakSet()


class SandboxBase:
    """Common state and bookkeeping of a sandbox; see `Sandbox` and `AsyncSandbox`."""

    # Whether `async def` host functions can be exposed (their results awaited).
    _awaits_host_functions = False

    def __init__(self, options: SandboxOptions) -> None:
        self._options = options
        custom = options.custom_security
        level = custom_level(custom) if custom is not None else LEVELS[options.security_level]
        allowed_modules = options.all_allowed_modules
        if allowed_modules and options.custom_globals and "require" in options.custom_globals:
            raise ConfigurationError(
                "custom_globals: 'require' is the sandbox's own when allowed_modules is set"
            )
        modules = load_modules(allowed_modules, options.module_paths, options.module_conditions)
        expose = None
        # Marks the coroutines of this sandbox's async host functions (in_host_call_of).
        self._host_key = object()
        if options.expose:
            expose = {
                name: awaiting_on_loop(function, self._host_key) if is_async(function) else function
                for name, function in check_expose(
                    options.expose, allow_async=self._awaits_host_functions
                ).items()
            }
            start_interrupter()
        self._scanner = Scanner(level, custom, allowed_modules)
        limits = options.rate_limiting
        self._tenant = options.tenant_id
        if self._tenant is not None:
            tenants.acquire(self._tenant, limits.max_sandboxes_per_user if limits else None)
        self._rate = (
            ExecutionRateLimiter(limits.max_executions_per_minute)
            if limits is not None and limits.max_executions_per_minute is not None
            else None
        )
        try:
            self._native = _core.NativeSandbox(native_config(options, level, modules, expose))
        except TypeError as error:
            if self._tenant is not None:
                tenants.release(self._tenant)
            raise ConfigurationError(f"custom_globals: {error}") from None
        self._timeout_ms = float(options.effective_execution_time)
        self._logging = options.enable_logging or options.enable_debug_mode
        self._events = EventEmitter()
        self._memory_limit = options.memory_limit_mb << 20
        self._warning_bytes = int(options.memory_warning_threshold * self._memory_limit)
        self._violations = 0
        self._pid = os.getpid()
        self._sequence = itertools.count(1)
        self._closing = False
        self._killed = False
        self._kill_lock = threading.Lock()
        self._idle_count = 0
        self._idle_since = time.monotonic()
        # The fast path: code the scanner already passed, and nothing to report per call.
        self._quiet_path = _core.QuietPath(self._native, self._scanner.approved)
        self._update_quiet()
        self.id: str = uuid.uuid4().hex[:16]
        self.created_at: float = time.time()
        self._created_monotonic = time.monotonic()
        live_sandboxes.add(self)
        if options.timeout_ms is not None:
            schedule(self._created_monotonic + options.timeout_ms / 1000, self, _kill_lifetime)
        if options.auto_cleanup:
            schedule(self._idle_since + options.idle_timeout_ms / 4000, self, _kill_if_idle)

    def _become_ready(self) -> None:
        if self._options.pre_warm:
            self._native.prewarm(self._options.pre_warm)
        self._events.emit("ready", ReadyEvent(self.id))

    # -- properties -----------------------------------------------------------------------
    @property
    def options(self) -> SandboxOptions:
        return self._options

    @property
    def is_active(self) -> bool:
        return not self._closing and not self._native.closing

    @property
    def execution_count(self) -> int:
        return int(self._native.executions)

    def _update_quiet(self) -> None:
        events = self._events
        # Read by interpret()'s native fast path, and by _admit and _finish below.
        self._quiet_path.quiet = not (
            self._logging
            or self._rate is not None
            or any(
                events.has(name)
                for name in (
                    "execution:start",
                    "execution:complete",
                    "execution:error",
                    "memory:warning",
                )
            )
        )

    # -- events, status, metrics ----------------------------------------------------------
    def on(self, event: str, listener: Listener) -> None:
        """Calls `listener(payload)` on each `event` (one of the names in `_events`, e.g.
        ``"execution:complete"``)."""
        self._events.on(event, listener)
        if event == "memory:warning":
            self._native.set_read_heap(True)  # the warning needs the heap after every run
        self._update_quiet()

    def off(self, event: str, listener: Listener) -> None:
        self._events.off(event, listener)
        self._update_quiet()

    def get_status(self) -> dict[str, Any]:
        heap_used, heap_total, external = self._native.memory()
        metrics = self._native.metrics()
        total = metrics["total"]
        return {
            "id": self.id,
            "is_active": self.is_active,
            "execution_count": self.execution_count,
            "uptime": (time.monotonic() - self._created_monotonic) * 1000,
            "memory_usage": {
                "heap_used": heap_used,
                "heap_total": heap_total,
                "external": external,
            },
            "performance": {
                "average_execution_time": metrics["average_time"],
                "total_executions": total,
                "error_rate": metrics["failed"] / total if total else 0.0,
            },
            "isolates": self._native.stats(),
            "engine": self._engine_status(),
            "isolation": {"mode": self._options.isolation, "workers": self._native.workers()},
            "options": self._options.as_dict(),
        }

    def _engine_status(self) -> dict[str, Any]:
        """Which V8 runs the code, and how a fresh-context execution gets its new realm:
        ``"recycled"`` (a context kept pristine, when V8 proves the code leaves it unchanged,
        else a new context made ahead of time), ``"new"`` (always a new context made ahead of
        time: this V8 lacks the side-effect-free evaluation recycling needs) or
        ``"persistent"`` (no fresh contexts: ``persistent_context=True``)."""
        if self._options.persistent_context:
            strategy = "persistent"
        elif _core.RECYCLES_CONTEXTS:
            strategy = "recycled"
        else:
            strategy = "new"
        return {
            "v8_version": _core.v8_version(),
            "fresh_context_strategy": strategy,
            "side_effect_free_evaluation": _core.RECYCLES_CONTEXTS,
        }

    def get_metrics(self) -> dict[str, Any]:
        metrics = self._native.metrics()
        return {
            "executions": {
                name: metrics[name]
                for name in (
                    "total",
                    "successful",
                    "failed",
                    "average_time",
                    "median_time",
                    "p95_time",
                    "p99_time",
                )
            },
            "memory": {
                "peak": metrics["memory_peak"],
                "current": metrics["memory_current"],
                "limit": self._memory_limit,
            },
            "security": {
                "violation_attempts": self._violations,
                "blocked_patterns": self._scanner.blocked_patterns,
            },
        }

    def metrics_snapshot(self) -> MetricsSnapshot:
        """The counters behind `get_metrics` as one value that adds up over sandboxes."""
        metrics = self._native.metrics()
        return MetricsSnapshot(
            total=metrics["total"],
            successful=metrics["successful"],
            failed=metrics["failed"],
            average_time=metrics["average_time"],
            memory_peak=metrics["memory_peak"],
            memory_current=metrics["memory_current"],
            violation_attempts=self._violations,
            duration_buckets=tuple(self._native.duration_buckets()),
        )

    # -- the execution bracket ------------------------------------------------------------
    def _admit(self, code: object, context: object, timeout: float | None) -> tuple[float, str]:
        """Checks a call before it runs; returns its time limit (ms) and execution id."""
        if self._pid != os.getpid():
            raise SandboxKilled(
                "this sandbox belongs to the parent of this forked process; create a new one here"
            )
        if not isinstance(code, str):
            raise TypeError(f"code must be str, not {type(code).__name__}")
        if context is not None and not isinstance(context, dict):
            raise TypeError(f"context must be a dict or None, not {type(context).__name__}")
        limit = self._timeout_ms
        if timeout is not None:
            if not is_positive_number(timeout):
                raise ValueError(f"timeout must be a positive number of ms, not {timeout!r}")
            limit = min(limit, timeout)
        if self._closing:
            raise SandboxKilled(f"sandbox {self.id} was killed")
        if not self._quiet_path.quiet and self._rate is not None:
            self._rate.admit()
        try:
            self._scanner.check(code)
        except SecurityViolation as violation:
            with self._kill_lock:
                self._violations += 1
            if self._events.has("security:violation"):
                self._events.emit(
                    "security:violation",
                    SecurityViolationEvent(self.id, violation.pattern, violation.reason, code),
                )
            if self._logging:
                logger.warning("sandbox %s refused code: %s", self.id, violation)
            raise
        execution_id = f"{self.id}-{next(self._sequence)}"
        if self._events.has("execution:start"):
            self._events.emit("execution:start", ExecutionStartEvent(self.id, execution_id))
        return limit, execution_id

    def _finish(
        self,
        execution_id: str,
        started: float,
        code: str,
        error: BaseException | None,
        profile: bool = False,
    ) -> None:
        """Reports an execution that has ended, successfully when `error` is None. Counters and
        durations are kept natively; this fires events and writes logs."""
        if self._quiet_path.quiet and not profile and error is None:
            return
        duration = (time.perf_counter() - started) * 1000
        events = self._events
        if error is None:
            if events.has("execution:complete"):
                events.emit(
                    "execution:complete", ExecutionCompleteEvent(self.id, execution_id, duration)
                )
        else:
            if self._options.enable_debug_mode and isinstance(error, JavaScriptError):
                add_source_note(error, code)
            if events.has("execution:error"):
                events.emit(
                    "execution:error", ExecutionErrorEvent(self.id, execution_id, duration, error)
                )
        heap_used = 0
        if events.has("memory:warning") or self._logging or profile:
            heap_used = self._native.memory()[0]
        if heap_used > self._warning_bytes and events.has("memory:warning"):
            events.emit(
                "memory:warning", MemoryWarningEvent(self.id, heap_used, self._memory_limit)
            )
        if self._logging or profile:
            debug = self._options.enable_debug_mode and not profile
            log_execution(
                logging.DEBUG if debug else logging.INFO, execution_id, duration, heap_used, error
            )

    def _run_many(
        self,
        codes: Sequence[str],
        context: dict[str, Any] | None,
        timeout: float | None,
        return_raw_result: bool,
        return_exceptions: bool,
    ) -> list[Any]:
        """`interpret_many` of both sandboxes, in the calling thread: each code admitted and
        reported as one execution, all run by one native call."""
        if isinstance(codes, str) or not isinstance(codes, Sequence):
            raise TypeError(f"codes must be a sequence of str, not {type(codes).__name__}")
        results: list[Any] = [None] * len(codes)
        admitted: list[tuple[int, str, str]] = []
        timeout_ms = self._timeout_ms
        for index, code in enumerate(codes):
            try:
                timeout_ms, execution_id = self._admit(code, context, timeout)
            except SecurityViolation as violation:
                if not return_exceptions:
                    raise
                results[index] = violation
                continue
            admitted.append((index, code, execution_id))
        started = time.perf_counter()
        try:
            outcomes = self._native.evaluate_many(
                [code for _, code, _ in admitted], context, timeout_ms, return_raw_result
            )
        except BaseException as error:
            for _, code, execution_id in admitted:
                self._finish(execution_id, started, code, error)
            raise
        if len(outcomes) != len(admitted):
            raise SandboxError(f"{len(admitted)} executions gave {len(outcomes)} outcomes")
        for (index, code, execution_id), outcome in zip(admitted, outcomes):
            self._finish(
                execution_id,
                time.perf_counter() - outcome.wall_ms / 1000,
                code,
                None if outcome.ok else outcome.value,
            )
            results[index] = outcome.value
        if not return_exceptions:
            for value in results:
                if isinstance(value, BaseException):
                    raise value
        return results

    # -- lifecycle ------------------------------------------------------------------------
    def _kill(self, graceful: bool, reason: str, wait: bool = True) -> None:
        """Stops the sandbox. A graceful kill that may not wait (made from one of the sandbox's
        own host calls) lets the running executions finish after it returns."""
        self._closing = True
        self._native.close(graceful, wait)
        with self._kill_lock:
            first = not self._killed
            self._killed = True
        if first:
            if self._tenant is not None:
                tenants.release(self._tenant)
            if self._logging:
                logger.info("sandbox %s killed (%s)", self.id, reason)
            self._events.emit("killed", KilledEvent(self.id, reason))

    def __del__(self) -> None:
        # A sandbox dropped without kill() still gives its tenant slot back.
        if getattr(self, "_tenant", None) is not None and not getattr(self, "_killed", True):
            self._killed = True
            tenants.release(self._tenant)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        state = "active" if self.is_active else "killed"
        return f"<{type(self).__name__} {self.id} {state} executions={self.execution_count}>"


def _kill_lifetime(sandbox: SandboxBase) -> None:
    sandbox._kill(graceful=False, reason="lifetime")


def _kill_if_idle(sandbox: SandboxBase) -> None:
    # Activity is read from the native execution count, which the fast path also updates;
    # checked four times per idle period.
    if sandbox._closing:
        return
    idle_s = sandbox._options.idle_timeout_ms / 1000
    now = time.monotonic()
    count = sandbox._native.executions
    if count != sandbox._idle_count or sandbox._native.in_flight:
        sandbox._idle_count = count
        sandbox._idle_since = now
    elif now - sandbox._idle_since >= idle_s:
        sandbox._kill(graceful=True, reason="idle")
        return
    schedule(now + idle_s / 4, sandbox, _kill_if_idle)


def kill_all_sandboxes() -> None:
    """Terminates every running execution of this process; used at interpreter exit."""
    for sandbox in list(live_sandboxes):
        if sandbox._pid == os.getpid():
            sandbox._closing = True
            sandbox._native.close(False)
