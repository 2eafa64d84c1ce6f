"""The asyncio sandbox: the same engine, run in worker threads so the event loop never
blocks. Cancelling an awaiting task terminates its JavaScript execution.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import _core
from ._base import SandboxBase
from ._errors import SandboxError
from ._execution_log import log_console
from ._host import in_host_call_of, running_on_loop
from ._options import SandboxOptions
from ._result import ExecutionResult

if TYPE_CHECKING:
    from ._api import AsyncSandboxAPI

__all__ = ["AsyncSandbox", "create_async_sandbox"]


class AsyncSandbox(SandboxBase):
    """Example::

    async with await create_async_sandbox(max_concurrent_executions=4) as sandbox:
        results = await asyncio.gather(*(sandbox.interpret(f"{i} * 2") for i in range(8)))
    """

    _awaits_host_functions = True  # `async def` in expose: awaited on the calling loop

    def __init__(self, options: SandboxOptions) -> None:
        super().__init__(options)
        # One worker per isolate: gather() runs up to max_concurrent_executions at once and
        # the rest wait in the executor's queue, not in a blocked thread.
        self._executor = ThreadPoolExecutor(
            max_workers=options.max_concurrent_executions,
            thread_name_prefix=f"code_interpreter-{self.id[:6]}",
        )

    async def interpret(
        self,
        code: str,
        context: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        return_raw_result: bool = False,
        enable_profiling: bool = False,
    ) -> Any:
        """As `Sandbox.interpret`, awaited."""
        result = await self._submit(
            code, context, timeout, return_raw_result, enable_profiling, with_console=self._logging
        )
        return result.value if isinstance(result, ExecutionResult) else result

    async def execute(
        self,
        code: str,
        context: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        return_raw_result: bool = True,
        enable_profiling: bool = False,
    ) -> ExecutionResult:
        """As `Sandbox.execute`, awaited."""
        result = await self._submit(
            code, context, timeout, return_raw_result, enable_profiling, with_console=True
        )
        assert isinstance(result, ExecutionResult)
        return result

    async def interpret_file(
        self, path: str | os.PathLike[str], context: dict[str, Any] | None = None, **options: Any
    ) -> Any:
        code = await asyncio.to_thread(Path(path).read_text, encoding="utf-8")
        return await self.interpret(code, context, **options)

    async def interpret_many(
        self,
        codes: Sequence[str],
        context: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        return_raw_result: bool = False,
        return_exceptions: bool = False,
    ) -> list[Any]:
        """As `Sandbox.interpret_many`, in one worker thread."""
        self._refuse_own_host_call()
        loop = asyncio.get_running_loop()

        def run() -> list[Any]:
            with running_on_loop(loop):
                return self._run_many(codes, context, timeout, return_raw_result, return_exceptions)

        return await loop.run_in_executor(self._executor, run)

    async def kill(self, graceful: bool = True) -> None:
        """Stops the sandbox; graceful waits for running executions without blocking the loop.
        From one of the sandbox's own host functions, whose execution waits for it, a graceful
        kill returns at once and the running executions finish afterwards."""
        if in_host_call_of(self._host_key):
            self._kill(graceful, "requested", wait=False)
        else:
            await asyncio.to_thread(self._kill, graceful, "requested")
        self._executor.shutdown(wait=False)

    def _refuse_own_host_call(self) -> None:
        if in_host_call_of(self._host_key):
            raise SandboxError(
                "an async host function called its own sandbox, whose execution waits for it: "
                "run it on another sandbox"
            )

    async def __aenter__(self) -> AsyncSandbox:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.kill(graceful=exc_type is None)

    async def _submit(
        self,
        code: str,
        context: dict[str, Any] | None,
        timeout: float | None,
        raw: bool,
        profile: bool,
        with_console: bool,
    ) -> Any:
        self._refuse_own_host_call()
        timeout_ms, execution_id = self._admit(code, context, timeout)
        token = _core.CancelToken()
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        try:
            future = loop.run_in_executor(
                self._executor,
                self._run,
                loop,
                code,
                context,
                timeout_ms,
                raw,
                profile,
                with_console,
                execution_id,
                started,
                token,
            )
        except BaseException as error:  # executor shut down by a concurrent kill
            self._finish(execution_id, started, code, error)
            raise
        try:
            return await future
        except asyncio.CancelledError:
            token.cancel()  # the JS stops; the worker books the outcome
            raise

    def _run(
        self,
        loop: asyncio.AbstractEventLoop,
        code: str,
        context: dict[str, Any] | None,
        timeout_ms: float,
        raw: bool,
        profile: bool,
        with_console: bool,
        execution_id: str,
        started: float,
        token: _core.CancelToken,
    ) -> Any:
        try:
            with running_on_loop(loop):
                if with_console:
                    outcome = self._native.execute(code, context, timeout_ms, raw, token)
                    if self._logging:
                        log_console(execution_id, outcome.console)
                    result: Any = ExecutionResult.from_native(outcome)
                else:
                    result = self._native.evaluate(code, context, timeout_ms, raw, token)
        except BaseException as error:
            self._finish(execution_id, started, code, error, profile)
            raise
        self._finish(execution_id, started, code, None, profile)
        return result


if TYPE_CHECKING:

    def _satisfies_the_api(sandbox: AsyncSandbox) -> AsyncSandboxAPI:
        return sandbox  # mypy checks AsyncSandbox against the protocol here


async def create_async_sandbox(**options: Any) -> AsyncSandbox:
    """Makes an `AsyncSandbox`; options as for `create_sandbox`. Isolates asked for with
    ``pre_warm`` are made in a worker thread."""
    parsed = SandboxOptions.from_kwargs(options)
    sandbox = AsyncSandbox(parsed)
    await asyncio.to_thread(sandbox._become_ready)
    return sandbox
