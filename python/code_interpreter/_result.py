"""The full record of one execution.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import _core

__all__ = ["ConsoleLine", "ExecutionResult"]


@dataclass(frozen=True)
class ConsoleLine:
    """One console call: its level (log, info, warn, error, debug) and its text."""

    level: str
    text: str


@dataclass(frozen=True)
class ExecutionResult:
    """What ``Sandbox.execute`` returns.

    ``value`` is the result: the Python value, or the stringified result (strings as they are,
    objects as JSON, the rest as ``String(v)``) with ``return_raw_result=False``;
    ``console`` the captured console lines (bounded; ``console_truncated`` tells when lines were
    dropped), ``duration_ms`` the wall time and ``cpu_time_ms`` the CPU time of the execution.
    """

    value: Any
    console: list[ConsoleLine] = field(default_factory=list)
    console_truncated: bool = False
    duration_ms: float = 0.0
    cpu_time_ms: float = 0.0

    @classmethod
    def from_native(cls, report: _core.ExecutionReport) -> ExecutionResult:
        """From what ``NativeSandbox.execute`` returns."""
        return cls(
            value=report.value,
            console=[ConsoleLine(level, text) for level, text in report.console],
            console_truncated=report.console_truncated,
            duration_ms=report.wall_ms,
            cpu_time_ms=report.cpu_ms,
        )
