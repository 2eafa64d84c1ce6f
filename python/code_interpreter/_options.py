"""Sandbox options: one frozen, keyword-only object, validated once when it is made."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ._errors import ConfigurationError

__all__ = ["SandboxOptions"]


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigurationError(f"{name} must be an int from {low} to {high}, not {value!r}")


def _check_number(name: str, value: object, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigurationError(f"{name} must be a number from {low:g} to {high:g}, not {value!r}")


@dataclass(frozen=True, kw_only=True)
class SandboxOptions:
    """Options of one sandbox.

    Example::

        SandboxOptions(memory_limit_mb=64, max_execution_time=1000)

    - ``memory_limit_mb``: cap of the JS heap, and separately of ArrayBuffer memory (MB).
    - ``max_execution_time``: wall-clock limit of one execution, in milliseconds.
    - ``max_concurrent_executions``: isolates the sandbox may run at once; more callers wait.
    - ``persistent_context``: keep one context per isolate (state survives between calls)
      instead of a fresh context per execution.
    """

    memory_limit_mb: int = 128
    max_execution_time: float = 5000
    max_concurrent_executions: int = 1
    persistent_context: bool = False

    def __post_init__(self) -> None:
        _check_int("memory_limit_mb", self.memory_limit_mb, 8, 16384)
        _check_number("max_execution_time", self.max_execution_time, 1, 3_600_000)
        _check_int("max_concurrent_executions", self.max_concurrent_executions, 1, 64)
        if not isinstance(self.persistent_context, bool):
            raise ConfigurationError(
                f"persistent_context must be True or False, not {self.persistent_context!r}"
            )

    @classmethod
    def from_kwargs(cls, options: dict[str, Any]) -> SandboxOptions:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigurationError(
                f"unknown option(s) {', '.join(unknown)}; accepted: {', '.join(sorted(known))}"
            )
        return cls(**options)
