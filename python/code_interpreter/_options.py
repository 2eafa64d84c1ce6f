"""Sandbox options: one frozen, keyword-only object, validated once when it is made.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from ._errors import ConfigurationError
from ._host import check_expose
from ._modules import check_module_names
from ._validation import is_int, is_number

__all__ = ["ISOLATION_MODES", "SECURITY_LEVELS", "CustomSecurity", "RateLimiting", "SandboxOptions"]

SECURITY_LEVELS = ("strict", "moderate", "permissive", "custom")
ISOLATION_MODES = ("thread", "process")

Validator = Callable[[str], Mapping[str, Any]]

# Keyword-only fields need Python 3.10. Every field has a default, so on 3.9 the same classes
# also take positions; the options are documented and built by keyword either way.
_KEYWORD_ONLY: dict[str, bool] = {"kw_only": True} if sys.version_info >= (3, 10) else {}


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if not is_int(value, low, high):
        raise ConfigurationError(f"{name} must be an int from {low} to {high}, not {value!r}")


def _check_number(name: str, value: object, low: float, high: float) -> None:
    if not is_number(value, low, high):
        raise ConfigurationError(f"{name} must be a number from {low:g} to {high:g}, not {value!r}")


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be True or False, not {value!r}")


def _check_names(name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigurationError(f"{name} must be a list of str, not {value!r}")
    if not all(isinstance(item, str) and item for item in value):
        raise ConfigurationError(f"{name} must hold non-empty str names, not {value!r}")
    return tuple(value)


def _check_folders(name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise ConfigurationError(f"{name} must be a list of folders, not {value!r}")
    folders = []
    for item in value:
        if not isinstance(item, (str, os.PathLike)) or not os.fspath(item):
            raise ConfigurationError(f"{name} must hold folder paths (str), not {item!r}")
        folder = os.fspath(item)
        if not isinstance(folder, str):
            raise ConfigurationError(f"{name} must hold folder paths (str), not {item!r}")
        if not os.path.isdir(folder):
            raise ConfigurationError(f"{name}: {folder!r} is not a folder")
        folders.append(folder)
    return tuple(folders)


def _build(cls: type[Any], values: Mapping[str, Any], what: str) -> Any:
    """`cls(**values)`, refusing keys that are not its fields by name (`what`: "option(s)")."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigurationError(
            f"unknown {what} {', '.join(unknown)}; accepted: {', '.join(sorted(known))}"
        )
    return cls(**values)


def _from_mapping(cls: type[Any], name: str, value: object) -> Any:
    if isinstance(value, cls) or value is None:
        return value
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{name} must be a dict or {cls.__name__}, not {value!r}")
    return _build(cls, value, f"{name} key(s)")


@dataclass(frozen=True, **_KEYWORD_ONLY)
class CustomSecurity:
    """The policy of ``security_level="custom"``.

    Example::

        CustomSecurity(allowed_globals=["console", "Math", "JSON"],
                       blocked_patterns=[r"delete\\s+"], max_code_length=25_000)

    - ``allowed_globals``: when given, every other global is removed from each context
      (``setTimeout`` and ``WebAssembly`` are offered only when listed).
    - ``blocked_patterns``: regular expressions (str or compiled) searched in the raw source.
    - ``max_code_length`` (characters) and ``max_lines``: refused before running.
    - ``max_execution_time`` (ms): lowers the sandbox's own limit.
    - ``allowed_modules``: packages the code may ``require``, as the option of that name.
    - ``custom_validators``: callables taking the code and returning
      ``{"valid": bool, "reason": str}``.
    """

    allowed_globals: tuple[str, ...] | None = None
    blocked_patterns: tuple[str | re.Pattern[str], ...] = ()
    max_code_length: int = 50_000
    max_lines: int = 2000
    max_execution_time: float | None = None
    allowed_modules: tuple[str, ...] = ()
    custom_validators: tuple[Validator, ...] = ()

    def __post_init__(self) -> None:
        if self.allowed_globals is not None:
            set_ = object.__setattr__
            set_(self, "allowed_globals", _check_names("allowed_globals", self.allowed_globals))
        patterns = self.blocked_patterns
        if isinstance(patterns, (str, re.Pattern)) or not isinstance(patterns, (list, tuple)):
            raise ConfigurationError(f"blocked_patterns must be a list, not {patterns!r}")
        compiled = []
        for pattern in patterns:
            if isinstance(pattern, re.Pattern):
                compiled.append(pattern)
            elif isinstance(pattern, str):
                try:
                    compiled.append(re.compile(pattern))
                except re.error as error:
                    raise ConfigurationError(
                        f"blocked_patterns: {pattern!r} is not a valid regular expression: {error}"
                    ) from None
            else:
                raise ConfigurationError(
                    f"blocked_patterns must hold str or re.Pattern, not {pattern!r}"
                )
        object.__setattr__(self, "blocked_patterns", tuple(compiled))
        _check_int("max_code_length", self.max_code_length, 1, 4 << 20)
        _check_int("max_lines", self.max_lines, 1, 1_000_000)
        if self.max_execution_time is not None:
            _check_number("max_execution_time", self.max_execution_time, 1, 3_600_000)
        modules = _check_names("allowed_modules", self.allowed_modules)
        check_module_names("custom_security.allowed_modules", modules)
        object.__setattr__(self, "allowed_modules", modules)
        validators = self.custom_validators
        if not isinstance(validators, (list, tuple)) or not all(map(callable, validators)):
            raise ConfigurationError(
                f"custom_validators must be a list of callables, not {validators!r}"
            )
        object.__setattr__(self, "custom_validators", tuple(validators))


@dataclass(frozen=True, **_KEYWORD_ONLY)
class RateLimiting:
    """Limits of ``rate_limiting``: executions per rolling minute for one sandbox, and live
    sandboxes per ``tenant_id``. ``None`` means no limit."""

    max_executions_per_minute: int | None = None
    max_sandboxes_per_user: int | None = None

    def __post_init__(self) -> None:
        if self.max_executions_per_minute is not None:
            _check_int("max_executions_per_minute", self.max_executions_per_minute, 1, 10**9)
        if self.max_sandboxes_per_user is not None:
            _check_int("max_sandboxes_per_user", self.max_sandboxes_per_user, 1, 10**6)


@dataclass(frozen=True, **_KEYWORD_ONLY)
class SandboxOptions:
    """Options of one sandbox, each with a real effect. Times are in milliseconds.

    Example::

        SandboxOptions(memory_limit_mb=64, max_execution_time=1000, security_level="moderate")

    - ``timeout_ms``: the sandbox's lifetime; when it passes the sandbox kills itself
      (``killed`` event with reason ``"lifetime"``). ``None``: no lifetime.
    - ``memory_limit_mb``: cap of the JS heap, and separately of ArrayBuffer memory.
    - ``max_execution_time``: wall-clock limit of one execution.
    - ``security_level``: ``strict``, ``moderate``, ``permissive`` or ``custom``
      (with ``custom_security``).
    - ``enable_logging``: executions and console output go to the ``code_interpreter`` logger.
    - ``allowed_modules``: packages the code may ``require`` (with their subpaths), found in
      ``module_paths``: folders laid out like ``node_modules``, searched in order (default:
      ``node_modules`` in the working directory, when there is one).
    - ``module_conditions``: the package.json "exports"/"imports" conditions matched besides
      ``require``/``import`` and ``default`` (default ``("browser",)``: packages give their
      browser builds, and the "browser" field applies); ``[]`` or ``["node"]`` choose others.
    - ``cpu_quota``: 0.1..1.0, the share of one core an execution may use.
    - ``max_concurrent_executions``: isolates that may run at once; more callers wait in line.
    - ``custom_globals``: JSON-like values installed as globals in every context.
    - ``persistent_context``: one context per isolate whose state survives between calls,
      instead of a fresh context per execution.
    - ``pre_warm``: isolates made when the sandbox is created, instead of on first use.
    - ``cache_compiled_code``: reuse compiled scripts for repeated code.
    - ``use_worker_pool``: keep isolates between executions (False: a new isolate for every
      execution, disposed after it); ``worker_pool_size``: how many idle isolates are kept.
    - ``rate_limiting`` (``RateLimiting`` or dict) with ``tenant_id``.
    - ``enable_debug_mode``: every execution is logged at DEBUG, and JavaScript errors show the
      offending source line.
    - ``auto_cleanup``: the sandbox kills itself after ``idle_timeout_ms`` without executions.
    - ``capture_all_output``: console capture bounds raised from 1,000 lines / 1 MB per
      execution to 100,000 lines / 64 MB.
    - ``memory_warning_threshold``: share of the memory limit past which ``memory:warning``
      fires after an execution.
    - ``expose``: Python callables script may call, by global name (``{"lookup": lookup}``);
      arguments and results cross as copies.
    - ``isolation``: ``"thread"`` (isolates in this process, the fastest) or ``"process"``
      (each isolate in a worker process that locks itself down before it runs any
      JavaScript: a second wall behind V8).
    """

    timeout_ms: float | None = None
    memory_limit_mb: int = 128
    max_execution_time: float = 5000
    security_level: str = "strict"
    enable_logging: bool = False
    allowed_modules: tuple[str, ...] = ()
    module_paths: tuple[str, ...] | None = None
    module_conditions: tuple[str, ...] = ("browser",)
    cpu_quota: float = 1.0
    max_concurrent_executions: int = 1
    custom_globals: Mapping[str, Any] | None = None
    custom_security: CustomSecurity | None = None
    persistent_context: bool = False
    pre_warm: int = 0
    cache_compiled_code: bool = True
    use_worker_pool: bool = True
    worker_pool_size: int | None = None
    rate_limiting: RateLimiting | None = None
    tenant_id: str | None = None
    enable_debug_mode: bool = False
    auto_cleanup: bool = False
    idle_timeout_ms: float = 300_000
    capture_all_output: bool = False
    memory_warning_threshold: float = 0.8
    expose: Mapping[str, Callable[..., Any]] | None = None
    isolation: str = "thread"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.timeout_ms is not None:
            _check_number("timeout_ms", self.timeout_ms, 1, 10**10)
        _check_int("memory_limit_mb", self.memory_limit_mb, 8, 16384)
        _check_number("max_execution_time", self.max_execution_time, 1, 3_600_000)
        if self.security_level not in SECURITY_LEVELS:
            raise ConfigurationError(
                f"security_level must be one of {', '.join(SECURITY_LEVELS)}, "
                f"not {self.security_level!r}"
            )
        for name in (
            "enable_logging",
            "persistent_context",
            "cache_compiled_code",
            "use_worker_pool",
            "enable_debug_mode",
            "auto_cleanup",
            "capture_all_output",
        ):
            _check_bool(name, getattr(self, name))
        modules = _check_names("allowed_modules", self.allowed_modules)
        check_module_names("allowed_modules", modules)
        set_(self, "allowed_modules", modules)
        if self.module_paths is not None:
            set_(self, "module_paths", _check_folders("module_paths", self.module_paths))
        conditions = _check_names("module_conditions", self.module_conditions)
        implied = [c for c in conditions if c in ("require", "import", "default")]
        if implied:
            raise ConfigurationError(
                f"module_conditions: {implied[0]!r} is always matched where it applies; list "
                "only the other conditions (e.g. 'browser', 'node', 'worker')"
            )
        set_(self, "module_conditions", conditions)
        _check_number("cpu_quota", self.cpu_quota, 0.1, 1.0)
        _check_int("max_concurrent_executions", self.max_concurrent_executions, 1, 64)
        if self.custom_globals is not None and not isinstance(self.custom_globals, Mapping):
            raise ConfigurationError(f"custom_globals must be a dict, not {self.custom_globals!r}")
        set_(
            self,
            "custom_security",
            _from_mapping(CustomSecurity, "custom_security", self.custom_security),
        )
        if (self.custom_security is None) != (self.security_level != "custom"):
            raise ConfigurationError(
                "custom_security goes with security_level='custom', and that level needs it"
            )
        pre_warm = self.pre_warm
        if isinstance(pre_warm, bool):
            pre_warm = self.max_concurrent_executions if pre_warm else 0
            set_(self, "pre_warm", pre_warm)
        _check_int("pre_warm", pre_warm, 0, self.max_concurrent_executions)
        if self.worker_pool_size is not None:
            _check_int("worker_pool_size", self.worker_pool_size, 1, self.max_concurrent_executions)
            if not self.use_worker_pool:
                raise ConfigurationError("worker_pool_size needs use_worker_pool=True")
        set_(
            self, "rate_limiting", _from_mapping(RateLimiting, "rate_limiting", self.rate_limiting)
        )
        if self.tenant_id is not None and (
            not isinstance(self.tenant_id, str) or not self.tenant_id
        ):
            raise ConfigurationError(f"tenant_id must be a non-empty str, not {self.tenant_id!r}")
        limits = self.rate_limiting
        if limits is not None and limits.max_sandboxes_per_user is not None and not self.tenant_id:
            raise ConfigurationError("rate_limiting.max_sandboxes_per_user needs a tenant_id")
        _check_number("idle_timeout_ms", self.idle_timeout_ms, 1, 10**10)
        _check_number("memory_warning_threshold", self.memory_warning_threshold, 0.01, 1.0)
        if self.expose is not None:
            set_(self, "expose", check_expose(self.expose, allow_async=True))
        if self.isolation not in ISOLATION_MODES:
            raise ConfigurationError(
                f"isolation must be one of {', '.join(ISOLATION_MODES)}, not {self.isolation!r}"
            )

    @property
    def effective_execution_time(self) -> float:
        """``max_execution_time``, lowered by ``custom_security.max_execution_time``."""
        custom = self.custom_security
        if custom is not None and custom.max_execution_time is not None:
            return min(self.max_execution_time, custom.max_execution_time)
        return self.max_execution_time

    @property
    def all_allowed_modules(self) -> tuple[str, ...]:
        """``allowed_modules`` and ``custom_security.allowed_modules``, each name once."""
        custom = self.custom_security.allowed_modules if self.custom_security else ()
        return tuple(dict.fromkeys(self.allowed_modules + custom))

    @classmethod
    def from_kwargs(cls, options: Mapping[str, Any]) -> SandboxOptions:
        built: SandboxOptions = _build(cls, options, "option(s)")
        return built

    def as_dict(self) -> dict[str, Any]:
        """The options as plain values, for status reports."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
