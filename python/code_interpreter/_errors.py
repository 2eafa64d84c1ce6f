"""The exceptions of code_interpreter, one tree:

    SandboxError (Exception)
    ├── ExecutionTimeout (also TimeoutError)      the execution passed its time limit
    ├── MemoryLimitExceeded (also MemoryError)    the execution passed the memory limit
    ├── SecurityViolation (also PermissionError)  the code was refused before it ran
    ├── JavaScriptError                           the code threw (syntax errors included)
    ├── ConversionError (also ValueError)         a value could not cross between JS and Python
    ├── SandboxKilled                             the sandbox was killed, or is not usable here
    ├── RateLimitExceeded                         too many executions or sandboxes
    └── ConfigurationError (also ValueError)      an unknown option or a bad option value

Each also inherits the closest built-in exception, so plain ``except TimeoutError`` works.

PYTEST_DONT_REWRITE (see __init__).
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "ConversionError",
    "ExecutionTimeout",
    "JavaScriptError",
    "MemoryLimitExceeded",
    "RateLimitExceeded",
    "SandboxError",
    "SandboxKilled",
    "SecurityViolation",
]


class SandboxError(Exception):
    """Base class of every error this package raises on purpose."""


class ExecutionTimeout(SandboxError, TimeoutError):
    """The execution ran past its time limit and was terminated."""


class MemoryLimitExceeded(SandboxError, MemoryError):
    """The execution passed the sandbox's memory limit and was terminated."""


class SecurityViolation(SandboxError, PermissionError):
    """The code was refused before running: a blocked pattern, or over a size limit."""

    def __init__(self, message: str, *, pattern: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.pattern = pattern
        self.reason = reason or message


class JavaScriptError(SandboxError):
    """A value thrown by the JavaScript code, syntax errors included.

    ``name`` is the error's name ("TypeError", "SyntaxError", ...), ``line_number`` and
    ``column`` are 1-based positions in the submitted code when V8 knows them.
    """

    def __init__(
        self,
        message: str,
        *,
        name: str = "Error",
        stack: str = "",
        line_number: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(f"{name}: {message}" if message else name)
        self.name = name
        self.message = message
        self.stack = stack
        self.line_number = line_number
        self.column = column


class ConversionError(SandboxError, ValueError):
    """A value could not be converted between JavaScript and Python (the message has its path)."""


class SandboxKilled(SandboxError):
    """The sandbox was killed, before or during this call."""


class RateLimitExceeded(SandboxError):
    """Too many executions per minute, or too many live sandboxes for one tenant."""


class ConfigurationError(SandboxError, ValueError):
    """An unknown option, or an option with a value outside what it accepts."""
