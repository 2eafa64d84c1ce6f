"""The sandbox API, written once: what `Sandbox`, `AsyncSandbox` and
`code_interpreter.distributed.ClusterSandbox` all offer, as two protocols (the async one's
calls are coroutines). Each class's module states that it satisfies its protocol, so mypy
checks each class against this one text. Code that only runs JavaScript can take a
`SandboxAPI` and be handed a local sandbox or a cluster alike.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Protocol, TypeVar

from ._result import ExecutionResult

__all__ = ["AsyncSandboxAPI", "SandboxAPI"]

_Sync = TypeVar("_Sync", bound="SandboxAPI")
_Async = TypeVar("_Async", bound="AsyncSandboxAPI")


class _Reports(Protocol):
    """What both protocols share: identity, state and reports, none of which waits."""

    @property
    def id(self) -> str: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def execution_count(self) -> int: ...

    def get_status(self) -> dict[str, Any]: ...

    def get_metrics(self) -> dict[str, Any]: ...


class SandboxAPI(_Reports, Protocol):
    """The blocking sandbox API: `Sandbox`, `ClusterSandbox`."""

    def interpret(
        self,
        code: str,
        context: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        return_raw_result: bool = False,
        enable_profiling: bool = False,
    ) -> Any: ...

    def execute(
        self,
        code: str,
        context: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        return_raw_result: bool = True,
        enable_profiling: bool = False,
    ) -> ExecutionResult: ...

    def interpret_file(
        self, path: str | os.PathLike[str], context: dict[str, Any] | None = None, **options: Any
    ) -> Any: ...

    def interpret_many(
        self,
        codes: Sequence[str],
        context: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        return_raw_result: bool = False,
        return_exceptions: bool = False,
    ) -> list[Any]: ...

    def kill(self, graceful: bool = True) -> None: ...

    def __enter__(self: _Sync) -> _Sync: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class AsyncSandboxAPI(_Reports, Protocol):
    """The asyncio sandbox API: `AsyncSandbox`. The same calls as `SandboxAPI`, awaited."""

    async def interpret(
        self,
        code: str,
        context: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        return_raw_result: bool = False,
        enable_profiling: bool = False,
    ) -> Any: ...

    async def execute(
        self,
        code: str,
        context: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        return_raw_result: bool = True,
        enable_profiling: bool = False,
    ) -> ExecutionResult: ...

    async def interpret_file(
        self, path: str | os.PathLike[str], context: dict[str, Any] | None = None, **options: Any
    ) -> Any: ...

    async def interpret_many(
        self,
        codes: Sequence[str],
        context: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        return_raw_result: bool = False,
        return_exceptions: bool = False,
    ) -> list[Any]: ...

    async def kill(self, graceful: bool = True) -> None: ...

    async def __aenter__(self: _Async) -> _Async: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
