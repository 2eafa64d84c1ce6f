"""The synchronous sandbox.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _core
from ._base import SandboxBase
from ._execution_log import log_console
from ._kill_on_exit import KillOnExit
from ._options import SandboxOptions
from ._result import ExecutionResult

if TYPE_CHECKING:
    from ._api import SandboxAPI

__all__ = ["Sandbox", "create_sandbox", "quick_interpret"]


class Sandbox(SandboxBase, KillOnExit):
    """Runs JavaScript in V8 isolates of its own, under its options' limits.

    Example::

        with create_sandbox(memory_limit_mb=64, max_execution_time=1000) as sandbox:
            sandbox.interpret("return context.numbers.reduce((s, n) => s + n, 0)",
                              {"numbers": [1, 2, 3]})   # -> "6"
    """

    def __init__(self, options: SandboxOptions) -> None:
        super().__init__(options)
        self._become_ready()

    def interpret(
        self,
        code: str,
        context: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        return_raw_result: bool = False,
        enable_profiling: bool = False,
    ) -> Any:
        """Runs `code` and returns its result: a string (strings as they are, objects as JSON,
        the rest as ``String(v)``), or Python values with ``return_raw_result=True``.
        ``timeout`` (ms) can only shorten the sandbox's ``max_execution_time``.
        ``enable_profiling`` logs the execution's timing and heap use."""
        if self._logging:
            return self.execute(
                code,
                context,
                timeout=timeout,
                return_raw_result=return_raw_result,
                enable_profiling=enable_profiling,
            ).value
        timeout_ms, execution_id = self._admit(code, context, timeout)
        started = time.perf_counter()
        try:
            value = self._native.evaluate(code, context, timeout_ms, return_raw_result)
        except BaseException as error:
            self._finish(execution_id, started, code, error, enable_profiling)
            raise
        self._finish(execution_id, started, code, None, enable_profiling)
        return value

    # Calls with nothing to check or report (a quiet sandbox, code its scanner already passed,
    # no options but `context` and `return_raw_result`) go straight to the native evaluation,
    # without this method's Python frame: the method above takes every other call.
    interpret = _core.interpret_method(interpret)

    def execute(
        self,
        code: str,
        context: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        return_raw_result: bool = True,
        enable_profiling: bool = False,
    ) -> ExecutionResult:
        """Like `interpret`, returning an `ExecutionResult` with console output and timings.

        Its ``value`` is the Python value (``execute("41 + 1").value == 42``); pass
        ``return_raw_result=False`` for the string `interpret` gives by default.
        """
        timeout_ms, execution_id = self._admit(code, context, timeout)
        started = time.perf_counter()
        try:
            outcome = self._native.execute(code, context, timeout_ms, return_raw_result)
        except BaseException as error:
            self._finish(execution_id, started, code, error, enable_profiling)
            raise
        if self._logging:
            log_console(execution_id, outcome.console)
        self._finish(execution_id, started, code, None, enable_profiling)
        return ExecutionResult.from_native(outcome)

    def interpret_file(
        self, path: str | os.PathLike[str], context: dict[str, Any] | None = None, **options: Any
    ) -> Any:
        """Runs the JavaScript in the UTF-8 file at `path`; options as for `interpret`."""
        return self.interpret(Path(path).read_text(encoding="utf-8"), context, **options)

    def interpret_many(
        self,
        codes: Sequence[str],
        context: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        return_raw_result: bool = False,
        return_exceptions: bool = False,
    ) -> list[Any]:
        """Runs each code in turn, each in its own fresh context, with one native call for the
        whole batch. Returns the results in order; with ``return_exceptions`` a failed code
        gives its exception in place, otherwise the first failure is raised."""
        return self._run_many(codes, context, timeout, return_raw_result, return_exceptions)

    def kill(self, graceful: bool = True) -> None:
        """Stops the sandbox. Graceful waits for running executions; otherwise they are
        terminated and raise `SandboxKilled`. Idempotent, and safe from any thread."""
        self._kill(graceful, "requested")


if TYPE_CHECKING:

    def _satisfies_the_api(sandbox: Sandbox) -> SandboxAPI:
        return sandbox  # mypy checks Sandbox against the protocol here


def create_sandbox(**options: Any) -> Sandbox:
    """Makes a sandbox; see `SandboxOptions` for the options (unknown ones are refused)."""
    return Sandbox(SandboxOptions.from_kwargs(options))


_shared_lock = threading.Lock()
_shared_sandbox: Sandbox | None = None


def quick_interpret(
    code: str,
    context: dict[str, Any] | None = None,
    *,
    timeout: float | None = None,
    enable_logging: bool = False,
) -> Any:
    """Runs `code` in a shared strict sandbox with default limits; returns the stringified
    result. ``enable_logging`` logs the execution through the ``code_interpreter`` logger."""
    global _shared_sandbox
    sandbox = _shared_sandbox
    if sandbox is None or sandbox._pid != os.getpid() or not sandbox.is_active:
        with _shared_lock:
            if (
                _shared_sandbox is None
                or _shared_sandbox._pid != os.getpid()
                or not _shared_sandbox.is_active
            ):
                _shared_sandbox = Sandbox(SandboxOptions(max_concurrent_executions=2))
            sandbox = _shared_sandbox
    return sandbox.interpret(code, context, timeout=timeout, enable_profiling=enable_logging)
