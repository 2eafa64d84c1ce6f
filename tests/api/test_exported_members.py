from __future__ import annotations

from types import ModuleType

import code_interpreter

PINNED = {
    "create_sandbox",
    "quick_interpret",
    "Sandbox",
    "ExecutionResult",
    "SandboxError",
    "ExecutionTimeout",
    "MemoryLimitExceeded",
    "SecurityViolation",
    "JavaScriptError",
    "ConversionError",
    "SandboxKilled",
    "RateLimitExceeded",
    "ConfigurationError",
}


def test_all_lists_exactly_the_public_names() -> None:
    public = {name for name in dir(code_interpreter) if not name.startswith("_")}
    public -= {"annotations", "atexit", "threading"}
    # Subpackages (code_interpreter.server) appear as attributes once something imported them.
    public -= {name for name in public if isinstance(getattr(code_interpreter, name), ModuleType)}
    assert set(code_interpreter.__all__) - {"__version__"} == public


def test_pinned_names_are_exported() -> None:
    assert set(code_interpreter.__all__) >= PINNED


def test_exceptions_inherit_the_matching_builtins() -> None:
    ci = code_interpreter
    assert issubclass(ci.ExecutionTimeout, TimeoutError)
    assert issubclass(ci.MemoryLimitExceeded, MemoryError)
    assert issubclass(ci.ConfigurationError, ValueError)
    assert issubclass(ci.ConversionError, ValueError)
    for name in PINNED:
        obj = getattr(ci, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, ci.SandboxError)
