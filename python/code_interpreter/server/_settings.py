"""What a service is made with: limits, keys and the sandboxes' own options.

PYTEST_DONT_REWRITE (see code_interpreter.__init__)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._errors import ConfigurationError

__all__ = ["ServerSettings", "keys_from_environment", "parse_rate_limit"]

API_KEYS_VARIABLE = "CODE_INTERPRETER_API_KEYS"


def keys_from_environment(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The API keys of CODE_INTERPRETER_API_KEYS (comma-separated, blanks ignored)."""
    text = (environ if environ is not None else os.environ).get(API_KEYS_VARIABLE, "")
    return tuple(key.strip() for key in text.split(",") if key.strip())


def parse_rate_limit(text: str) -> tuple[int, float]:
    """ "COUNT/SECONDS" (e.g. "100/60") as (count, seconds)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", text)
    if not match or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
        raise ConfigurationError(f"rate limit must be COUNT/SECONDS, e.g. 100/60, not {text!r}")
    return int(match.group(1)), float(match.group(2))


@dataclass(frozen=True)
class ServerSettings:
    """Settings of `create_app`. Sizes in bytes, times in seconds unless named _ms.

    - ``api_keys``: keys accepted as ``Authorization: Bearer <key>``; empty: no
      authentication, and only loopback clients are served.
    - ``max_body_bytes``: larger request bodies get 413.
    - ``rate_limit``: (count, seconds): executions per API key (per client address without
      keys) in a sliding window; more get 429 with Retry-After.
    - ``idle_timeout``: a user's sandbox unused this long is killed.
    - ``max_sandboxes``: live sandboxes at most; past it the longest idle one goes, and when
      none is idle new users get 503.
    - ``workers``: executions running at once over the whole service.
    - ``security_level``, ``max_execution_time_ms``, ``memory_limit_mb`` and
      ``sandbox_options``: what each user's sandbox is made with.
    - ``body_timeout``: a client that takes longer to send its body gets 408.
    """

    api_keys: tuple[str, ...] = ()
    max_body_bytes: int = 10 << 20
    rate_limit: tuple[int, float] = (120, 60.0)
    idle_timeout: float = 300.0
    max_sandboxes: int = 1000
    workers: int = 4
    security_level: str = "strict"
    max_execution_time_ms: float = 5000
    memory_limit_mb: int = 128
    body_timeout: float = 10.0
    sandbox_options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.api_keys, tuple) or not all(
            isinstance(key, str) and key for key in self.api_keys
        ):
            raise ConfigurationError("api_keys must be a tuple of non-empty str")
        for name, low in (("max_body_bytes", 1), ("max_sandboxes", 1), ("workers", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigurationError(f"{name} must be an int >= {low}, not {value!r}")
        for name in ("idle_timeout", "body_timeout", "max_execution_time_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ConfigurationError(f"{name} must be a positive number, not {value!r}")
        count, seconds = self.rate_limit
        if count < 1 or seconds <= 0:
            raise ConfigurationError(
                f"rate_limit must be (count >= 1, seconds > 0), not {self.rate_limit!r}"
            )
