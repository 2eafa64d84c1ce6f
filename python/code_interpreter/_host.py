"""Host functions (``expose``): checking the names and callables, and stopping a callable that
runs past its execution's deadline.

PYTEST_DONT_REWRITE (see __init__).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import os
import re
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

from . import _core
from ._errors import ConfigurationError

__all__ = [
    "HostCallInterrupted",
    "awaiting_on_loop",
    "check_expose",
    "in_host_call_of",
    "is_async",
    "running_on_loop",
    "start_interrupter",
]


class HostCallInterrupted(BaseException):
    """Raised inside a host function whose execution timed out or was killed. A BaseException,
    so ``except Exception`` in the callable does not swallow it."""


class Pending:
    """What an ``async def`` host function gives the native side: the future of its coroutine,
    running on the sandbox's event loop. Script gets a promise settled by the future."""

    __slots__ = ("future",)

    def __init__(self, future: concurrent.futures.Future[Any]) -> None:
        self.future = future


# The event loop whose execution this worker thread is running (AsyncSandbox).
_loops = threading.local()


class running_on_loop:
    """Marks this thread as running an execution for `loop` (see `awaiting_on_loop`)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def __enter__(self) -> None:
        self._outer = getattr(_loops, "loop", None)
        _loops.loop = self._loop

    def __exit__(self, *exc: object) -> None:
        _loops.loop = self._outer


# The sandboxes whose async host calls the running task is inside (their `_host_key`s). Tasks
# the call starts inherit it.
_host_calls: contextvars.ContextVar[tuple[object, ...]] = contextvars.ContextVar(
    "code_interpreter_host_calls", default=()
)


def in_host_call_of(key: object) -> bool:
    """Whether the running coroutine is (inside) an async host call of the sandbox `key` marks:
    its execution waits for the call, so the call must not wait for the sandbox."""
    return key in _host_calls.get()


async def _as_host_call(key: object, call: Any) -> Any:
    _host_calls.set((*_host_calls.get(), key))  # this task's own copy of the context
    return await call


def awaiting_on_loop(function: Callable[..., Any], key: object) -> Callable[..., Pending]:
    """An ``async def`` host function of the sandbox `key` marks, as the native side calls it:
    its coroutine is started on the event loop of the execution that called it."""

    def start(*args: Any) -> Pending:
        loop = getattr(_loops, "loop", None)
        if loop is None:
            raise RuntimeError("an async host function runs only under an AsyncSandbox")
        call = function(*args)
        future = asyncio.run_coroutine_threadsafe(_as_host_call(key, call), loop)
        future.add_done_callback(lambda done: _close_if_never_started(call, loop, done))
        return Pending(future)

    return start


def _close_if_never_started(
    call: Any, loop: asyncio.AbstractEventLoop, done: concurrent.futures.Future[Any]
) -> None:
    """An execution that ends cancels the calls it still waits for; one cancelled before its
    task first ran leaves its coroutine never awaited (a RuntimeWarning when collected). That
    coroutine is closed, on the loop's thread, where it could otherwise be running."""
    if not done.cancelled() or not inspect.iscoroutine(call):
        return

    def close() -> None:
        if inspect.getcoroutinestate(call) == inspect.CORO_CREATED:
            call.close()

    try:
        loop.call_soon_threadsafe(close)
    except RuntimeError:  # the loop is closed: nothing runs the coroutine any more
        close()


# What every context has, or we give it: a host function may not shadow these.
_GLOBALS = frozenset(
    [
        "AggregateError",
        "Array",
        "ArrayBuffer",
        "Atomics",
        "BigInt",
        "BigInt64Array",
        "BigUint64Array",
        "Boolean",
        "DataView",
        "Date",
        "Error",
        "EvalError",
        "FinalizationRegistry",
        "Float32Array",
        "Float64Array",
        "Function",
        "Infinity",
        "Int16Array",
        "Int32Array",
        "Int8Array",
        "Intl",
        "JSON",
        "Map",
        "Math",
        "NaN",
        "Number",
        "Object",
        "Promise",
        "Proxy",
        "RangeError",
        "ReferenceError",
        "Reflect",
        "RegExp",
        "Set",
        "SharedArrayBuffer",
        "String",
        "Symbol",
        "SyntaxError",
        "TypeError",
        "URIError",
        "Uint16Array",
        "Uint32Array",
        "Uint8Array",
        "Uint8ClampedArray",
        "WeakMap",
        "WeakRef",
        "WeakSet",
        "WebAssembly",
        "clearInterval",
        "clearTimeout",
        "console",
        "decodeURI",
        "decodeURIComponent",
        "encodeURI",
        "encodeURIComponent",
        "escape",
        "eval",
        "globalThis",
        "isFinite",
        "isNaN",
        "parseFloat",
        "parseInt",
        "setInterval",
        "setTimeout",
        "undefined",
        "unescape",
        "context",
        "require",
        "module",
        "exports",
        "global",
        "arguments",
    ]
)
# JavaScript's reserved words: the native core's list, the one the project has.
_RESERVED = frozenset(_core.RESERVED_WORDS)
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def check_expose(expose: object, *, allow_async: bool) -> dict[str, Callable[..., Any]]:
    """`expose` as a dict of name -> callable, or ConfigurationError naming what is wrong."""
    if not isinstance(expose, Mapping):
        raise ConfigurationError(f"expose must be a dict of name -> callable, not {expose!r}")
    checked: dict[str, Callable[..., Any]] = {}
    for name, function in expose.items():
        if not isinstance(name, str) or not _IDENTIFIER.match(name) or name in _RESERVED:
            raise ConfigurationError(
                f"expose: {name!r} is not a JavaScript identifier (letters, digits, _ and $, "
                "not a reserved word)"
            )
        if name in _GLOBALS:
            raise ConfigurationError(
                f"expose: {name!r} would shadow the sandbox's own global of that name"
            )
        if not callable(function):
            raise ConfigurationError(f"expose: {name!r} must be callable, not {function!r}")
        if is_async(function) and not allow_async:
            raise ConfigurationError(
                f"expose: {name!r} is an async function; the synchronous Sandbox cannot await "
                "it (use create_async_sandbox, or a plain function)"
            )
        checked[name] = function
    return checked


def is_async(function: Callable[..., Any]) -> bool:
    call = getattr(function, "__call__", None)  # noqa: B004 - a callable object's method
    return inspect.iscoroutinefunction(function) or (
        call is not None and inspect.iscoroutinefunction(call)
    )


_interrupter: threading.Thread | None = None
_interrupter_lock = threading.Lock()


def _serve_interrupts(fd: int) -> None:
    while True:
        data = os.read(fd, 8)
        if len(data) < 8:
            if not data:
                return
            data += os.read(fd, 8 - len(data))
        _core.interrupt_host_call(int.from_bytes(data, sys.byteorder))


def start_interrupter() -> None:
    """Starts, once per process, the thread that delivers stop requests to host functions."""
    global _interrupter
    with _interrupter_lock:
        if _interrupter is not None and _interrupter.is_alive():
            return
        _core.set_host_interrupted_class(HostCallInterrupted)
        _core.set_host_pending_class(Pending)
        _interrupter = threading.Thread(
            target=_serve_interrupts,
            args=(_core.host_interrupt_fd(),),
            name="code_interpreter-host-interrupts",
            daemon=True,
        )
        _interrupter.start()
