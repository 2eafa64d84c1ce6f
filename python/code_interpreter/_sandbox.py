"""The synchronous sandbox: a thin facade over one native isolate pool."""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
import weakref
from types import TracebackType
from typing import Any

from . import _core
from ._errors import SandboxKilled
from ._options import SandboxOptions
from ._result import ConsoleLine, ExecutionResult

__all__ = ["Sandbox", "create_sandbox", "kill_all_sandboxes", "quick_interpret"]

_live_sandboxes: weakref.WeakSet[Sandbox] = weakref.WeakSet()


class Sandbox:
    """Runs JavaScript in V8 isolates of its own, under its options' limits.

    Example::

        with create_sandbox(memory_limit_mb=64, max_execution_time=1000) as sandbox:
            sandbox.interpret("return context.numbers.reduce((s, n) => s + n, 0)",
                              {"numbers": [1, 2, 3]})   # -> "6"
    """

    def __init__(self, options: SandboxOptions) -> None:
        self._options = options
        self._native = _core.NativeSandbox(
            memory_limit_mb=options.memory_limit_mb,
            max_isolates=options.max_concurrent_executions,
            persistent_context=options.persistent_context,
        )
        self._pid = os.getpid()
        self._counter = itertools.count(1)
        self._execution_count = 0
        self._in_flight = 0
        self._closing = False
        self._state = threading.Condition()
        self.id: str = uuid.uuid4().hex[:16]
        self.created_at: float = time.time()
        _live_sandboxes.add(self)

    # -- properties -----------------------------------------------------------------------
    @property
    def options(self) -> SandboxOptions:
        return self._options

    @property
    def is_active(self) -> bool:
        return not self._closing and not self._native.killed

    @property
    def execution_count(self) -> int:
        return self._execution_count

    # -- executions -----------------------------------------------------------------------
    def interpret(
        self,
        code: str,
        context: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        return_raw_result: bool = False,
    ) -> Any:
        """Runs `code` and returns its result: a string as the seed gives it, or Python values
        with ``return_raw_result=True``. ``timeout`` (ms) can only shorten the sandbox's
        ``max_execution_time``."""
        timeout_ms = self._begin(context, timeout)
        try:
            return self._native.evaluate(code, context, timeout_ms, return_raw_result)
        finally:
            self._end()

    def execute(
        self,
        code: str,
        context: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        return_raw_result: bool = False,
    ) -> ExecutionResult:
        """Like `interpret`, returning an `ExecutionResult` with console output and timings."""
        timeout_ms = self._begin(context, timeout)
        try:
            value, console, truncated, wall_ms, cpu_ms = self._native.execute(
                code, context, timeout_ms, return_raw_result
            )
        finally:
            self._end()
        return ExecutionResult(
            value=value,
            console=[ConsoleLine(level, text) for level, text in console],
            console_truncated=truncated,
            duration_ms=wall_ms,
            cpu_time_ms=cpu_ms,
        )

    def kill(self, graceful: bool = True) -> None:
        """Stops the sandbox. Graceful waits for running executions; otherwise they are
        terminated and raise `SandboxKilled`. Idempotent, and safe from any thread."""
        with self._state:
            self._closing = True
            if graceful:
                self._state.wait_for(lambda: self._in_flight == 0)
        self._native.kill()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.kill(graceful=exc_type is None)

    def __repr__(self) -> str:
        state = "active" if self.is_active else "killed"
        return f"<Sandbox {self.id} {state} executions={self._execution_count}>"

    # -- internals ------------------------------------------------------------------------
    def _begin(self, context: object, timeout: float | None) -> float:
        if self._pid != os.getpid():
            raise SandboxKilled(
                "this sandbox belongs to the parent of this forked process; create a new one here"
            )
        if context is not None and not isinstance(context, dict):
            raise TypeError(f"context must be a dict or None, not {type(context).__name__}")
        limit = self._options.max_execution_time
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
                raise ValueError(f"timeout must be a positive number of ms, not {timeout!r}")
            limit = min(limit, timeout)
        with self._state:
            if self._closing:
                raise SandboxKilled(f"sandbox {self.id} was killed")
            self._in_flight += 1
            self._execution_count = next(self._counter)
        return limit

    def _end(self) -> None:
        with self._state:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._state.notify_all()


def create_sandbox(**options: Any) -> Sandbox:
    """Makes a sandbox; see `SandboxOptions` for the options (unknown ones are refused)."""
    return Sandbox(SandboxOptions.from_kwargs(options))


_shared_lock = threading.Lock()
_shared_sandbox: Sandbox | None = None


def quick_interpret(
    code: str, context: dict[str, Any] | None = None, *, timeout: float | None = None
) -> Any:
    """Runs `code` in a shared sandbox with default limits and returns the stringified result."""
    global _shared_sandbox
    sandbox = _shared_sandbox
    if sandbox is None or sandbox._pid != os.getpid():
        with _shared_lock:
            if _shared_sandbox is None or _shared_sandbox._pid != os.getpid():
                _shared_sandbox = Sandbox(SandboxOptions())
            sandbox = _shared_sandbox
    return sandbox.interpret(code, context, timeout=timeout)


def kill_all_sandboxes() -> None:
    """Terminates every running execution of this process; used at interpreter exit."""
    if not _live_sandboxes:
        return
    for sandbox in list(_live_sandboxes):
        if sandbox._pid == os.getpid():
            sandbox._closing = True
            sandbox._native.kill()
