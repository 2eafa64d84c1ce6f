"""What the ``code_interpreter`` logger gets per execution when logging or profiling is on:
one line for its end, and its console output.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

import logging

__all__ = ["log_console", "log_execution"]

logger = logging.getLogger("code_interpreter")

_CONSOLE_LEVELS = {"error": logging.ERROR, "warn": logging.WARNING, "debug": logging.DEBUG}


def log_execution(
    level: int, execution_id: str, duration: float, heap_used: int, error: BaseException | None
) -> None:
    if error is None:
        logger.log(
            level,
            "execution %s finished in %.3f ms (heap %d bytes)",
            execution_id,
            duration,
            heap_used,
        )
    else:
        logger.log(
            level,
            "execution %s failed in %.3f ms: %s: %s",
            execution_id,
            duration,
            type(error).__name__,
            error,
        )


def log_console(execution_id: str, console: list[tuple[str, str]]) -> None:
    for method, text in console:
        logger.log(
            _CONSOLE_LEVELS.get(method, logging.INFO),
            "[%s console.%s] %s",
            execution_id,
            method,
            text,
        )
