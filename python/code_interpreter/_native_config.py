"""A sandbox's options as the native core takes them: one ``_core.SandboxConfig``, filled once.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import _core
from ._options import SandboxOptions
from ._scanner import LevelPolicy

__all__ = ["native_config"]

# Process isolation's worker executable, installed beside the extension.
_WORKER = str(Path(_core.__file__).with_name("code-interpreter-worker"))

# Console bounds per execution: normal, and with capture_all_output.
_CONSOLE_BOUNDS = {False: (1000, 1 << 20), True: (100_000, 64 << 20)}


def native_config(
    options: SandboxOptions,
    level: LevelPolicy,
    modules: Any,
    expose: dict[str, Callable[..., Any]] | None,
) -> _core.SandboxConfig:
    """`options` (with the security `level` they resolve to, the packages read for
    ``allowed_modules`` and the checked host functions) in the core's terms."""
    config = _core.SandboxConfig()
    config.default_timeout_ms = float(options.effective_execution_time)
    config.memory_limit_mb = options.memory_limit_mb
    config.max_isolates = options.max_concurrent_executions
    # Isolates kept between executions: none without the worker pool.
    config.keep_idle = (
        options.worker_pool_size or options.max_concurrent_executions
        if options.use_worker_pool
        else 0
    )
    config.persistent_context = options.persistent_context
    config.cache_scripts = options.cache_compiled_code
    config.cpu_quota = float(options.cpu_quota)
    config.console_max_entries, config.console_max_bytes = _CONSOLE_BOUNDS[
        options.capture_all_output
    ]
    config.timers = level.timers
    config.webassembly = level.webassembly
    config.web_globals = level.web_globals
    custom = options.custom_security
    config.allowed_globals = list(custom.allowed_globals or ()) if custom else []
    if options.custom_globals is not None:
        config.custom_globals = dict(options.custom_globals)
    config.modules = modules
    config.expose = expose
    config.isolation = options.isolation
    config.worker_executable = _WORKER
    return config
