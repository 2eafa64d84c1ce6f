"""Sandbox events: seven names (``ready``, ``execution:start``, ``execution:complete``,
``execution:error``, ``security:violation``, ``memory:warning``, ``killed``), each with a
small typed payload.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EVENT_NAMES",
    "EventEmitter",
    "ExecutionCompleteEvent",
    "ExecutionErrorEvent",
    "ExecutionStartEvent",
    "KilledEvent",
    "MemoryWarningEvent",
    "ReadyEvent",
    "SecurityViolationEvent",
]

logger = logging.getLogger("code_interpreter")

EVENT_NAMES = (
    "ready",
    "execution:start",
    "execution:complete",
    "execution:error",
    "security:violation",
    "memory:warning",
    "killed",
)


@dataclass(frozen=True)
class ReadyEvent:
    sandbox_id: str


@dataclass(frozen=True)
class ExecutionStartEvent:
    sandbox_id: str
    execution_id: str


@dataclass(frozen=True)
class ExecutionCompleteEvent:
    sandbox_id: str
    execution_id: str
    duration: float  # ms


@dataclass(frozen=True)
class ExecutionErrorEvent:
    sandbox_id: str
    execution_id: str
    duration: float  # ms
    error: BaseException


@dataclass(frozen=True)
class SecurityViolationEvent:
    sandbox_id: str
    pattern: str
    reason: str
    code: str


@dataclass(frozen=True)
class MemoryWarningEvent:
    sandbox_id: str
    usage: int  # bytes of JS heap in use after the execution
    limit: int  # bytes


@dataclass(frozen=True)
class KilledEvent:
    sandbox_id: str
    reason: str  # "requested", "lifetime", "idle", "exit"


Listener = Callable[[Any], object]


class EventEmitter:
    """Listeners by event name, called in the order added, at one point: `emit`. A listener
    that raises is logged and never breaks the execution that fired it. A ``ready`` listener
    added after the sandbox became ready is called at once."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = {}
        self._lock = threading.Lock()
        self._ready: ReadyEvent | None = None

    def on(self, name: str, listener: Listener) -> None:
        if name not in EVENT_NAMES:
            raise ValueError(f"unknown event {name!r}; events: {', '.join(EVENT_NAMES)}")
        if not callable(listener):
            raise TypeError(f"listener must be callable, not {listener!r}")
        with self._lock:
            self._listeners = {**self._listeners, name: [*self._listeners.get(name, ()), listener]}
            ready = self._ready
        if name == "ready" and ready is not None:
            self._call(name, listener, ready)

    def off(self, name: str, listener: Listener) -> None:
        with self._lock:
            remaining = [f for f in self._listeners.get(name, ()) if f is not listener]
            self._listeners = {**self._listeners, name: remaining}

    def has(self, name: str) -> bool:
        return bool(self._listeners.get(name))

    def emit(self, name: str, payload: object) -> None:
        if name == "ready":
            self._ready = payload  # type: ignore[assignment]
        for listener in self._listeners.get(name, ()):
            self._call(name, listener, payload)

    @staticmethod
    def _call(name: str, listener: Listener, payload: object) -> None:
        try:
            listener(payload)
        except Exception:
            logger.exception("a %r listener raised; the sandbox carries on", name)
