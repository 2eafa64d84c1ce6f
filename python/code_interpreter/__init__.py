"""Run untrusted JavaScript fast and safely in V8 isolates embedded in Python.

PYTEST_DONT_REWRITE: pytest rewrites the asserts of every package of a distribution that
registers a plugin (ours: pytest_code_interpreter); this library code is not tests, so each
module opts out."""

from __future__ import annotations

import atexit
import threading

from . import _core as _core
from ._api import AsyncSandboxAPI, SandboxAPI
from ._async_sandbox import AsyncSandbox, create_async_sandbox
from ._base import kill_all_sandboxes as _kill_all_sandboxes
from ._errors import (
    ConfigurationError,
    ConversionError,
    ExecutionTimeout,
    JavaScriptError,
    MemoryLimitExceeded,
    RateLimitExceeded,
    SandboxError,
    SandboxKilled,
    SecurityViolation,
)
from ._events import (
    ExecutionCompleteEvent,
    ExecutionErrorEvent,
    ExecutionStartEvent,
    KilledEvent,
    MemoryWarningEvent,
    ReadyEvent,
    SecurityViolationEvent,
)
from ._metrics_snapshot import MetricsSnapshot
from ._options import CustomSecurity, RateLimiting, SandboxOptions
from ._result import ConsoleLine, ExecutionResult
from ._sandbox import Sandbox, create_sandbox, quick_interpret

__version__ = "0.1.0"

__all__ = [
    "AsyncSandbox",
    "AsyncSandboxAPI",
    "ConfigurationError",
    "ConsoleLine",
    "ConversionError",
    "CustomSecurity",
    "ExecutionCompleteEvent",
    "ExecutionErrorEvent",
    "ExecutionResult",
    "ExecutionStartEvent",
    "ExecutionTimeout",
    "JavaScriptError",
    "KilledEvent",
    "MemoryLimitExceeded",
    "MemoryWarningEvent",
    "MetricsSnapshot",
    "RateLimitExceeded",
    "RateLimiting",
    "ReadyEvent",
    "Sandbox",
    "SandboxAPI",
    "SandboxError",
    "SandboxKilled",
    "SandboxOptions",
    "SecurityViolation",
    "SecurityViolationEvent",
    "__version__",
    "create_async_sandbox",
    "create_sandbox",
    "quick_interpret",
    "v8_version",
]


def v8_version() -> str:
    """The version of the V8 engine this package runs on."""
    return str(_core.v8_version())


# Executions still running when the interpreter exits are terminated first, so exit never
# waits on a script: before non-daemon threads are joined where Python allows a hook there,
# and in any case at exit.
_register_before_join = getattr(threading, "_register_atexit", None)
if _register_before_join is not None:
    _register_before_join(_kill_all_sandboxes)
atexit.register(_kill_all_sandboxes)
