"""What a service is made with: limits, keys and the sandboxes' own options.

PYTEST_DONT_REWRITE (see code_interpreter.__init__)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._errors import ConfigurationError
from .._options import ISOLATION_MODES
from .._validation import is_int, is_positive_number

__all__ = ["ServerSettings", "keys_from_environment", "parse_rate_limit"]

API_KEYS_VARIABLE = "CODE_INTERPRETER_API_KEYS"
ADMIN_KEYS_VARIABLE = "CODE_INTERPRETER_ADMIN_KEYS"

# Bodies up to SMALL_BODY_BYTES may use the last SMALL_BODY_RESERVE bytes of max_parsing_bytes,
# which larger ones leave to them: ordinary requests pass while large ones wait.
SMALL_BODY_BYTES = 64 << 10
SMALL_BODY_RESERVE = 1 << 20


def keys_from_environment(
    environ: Mapping[str, str] | None = None, variable: str = API_KEYS_VARIABLE
) -> tuple[str, ...]:
    """The keys of `variable` (CODE_INTERPRETER_API_KEYS unless said; comma-separated, blanks
    ignored)."""
    text = (environ if environ is not None else os.environ).get(variable, "")
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

    - ``api_keys``: keys accepted as ``Authorization: Bearer <key>``; with no keys at all
      (``api_keys`` nor ``admin_keys``) there is no authentication, and only loopback
      clients are served.
    - ``admin_keys``: keys that also see every key's figures in /metrics, /api/stats and the
      dashboard; any other key sees its own. An admin key executes as any key does.
    - ``max_body_bytes``: larger request bodies get 413.
    - ``max_parsing_bytes``: request bodies being read, parsed and run at once hold at most
      this many bytes between them (a parsed body costs tens of times its size); a body waits
      for room, up to ``body_timeout``, then gets 503. Bodies up to 64 KiB may use the last
      MiB, which larger ones leave to them. Default: ``max_body_bytes`` + 1 MiB, one largest
      body at a time.
    - ``rate_limit``: (count, seconds): executions per API key (per client address without
      keys) in a sliding window; more get 429 with Retry-After.
    - ``idle_timeout``: a user's sandbox unused this long is killed.
    - ``max_sandboxes``: live sandboxes at most; past it the longest idle one goes, and when
      none is idle new users get 503.
    - ``workers``: executions running at once over the whole service.
    - ``security_level``, ``max_execution_time_ms``, ``memory_limit_mb``, ``isolation``
      (``"process"`` by default: each user's sandbox in worker processes behind a second
      wall; ``"thread"``: in the service's process) and ``sandbox_options``: what each user's
      sandbox is made with.
    - ``body_timeout``: a client that takes longer to send its body gets 408.

    Example: ``ServerSettings(api_keys=("k1", "k2"), admin_keys=("ops",), workers=8)``.
    """

    api_keys: tuple[str, ...] = ()
    admin_keys: tuple[str, ...] = ()
    max_body_bytes: int = 10 << 20
    max_parsing_bytes: int | None = None
    rate_limit: tuple[int, float] = (120, 60.0)
    idle_timeout: float = 300.0
    max_sandboxes: int = 1000
    workers: int = 4
    security_level: str = "strict"
    max_execution_time_ms: float = 5000
    memory_limit_mb: int = 128
    isolation: str = "process"
    body_timeout: float = 10.0
    sandbox_options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("api_keys", "admin_keys"):
            keys = getattr(self, name)
            if not isinstance(keys, tuple) or not all(isinstance(k, str) and k for k in keys):
                raise ConfigurationError(f"{name} must be a tuple of non-empty str")
        for name, low in (("max_body_bytes", 1), ("max_sandboxes", 1), ("workers", 1)):
            value = getattr(self, name)
            if not is_int(value, low):
                raise ConfigurationError(f"{name} must be an int >= {low}, not {value!r}")
        if self.max_parsing_bytes is None:
            object.__setattr__(self, "max_parsing_bytes", self.max_body_bytes + SMALL_BODY_RESERVE)
        parsing = self.max_parsing_bytes
        if not is_int(parsing, self.max_body_bytes + SMALL_BODY_RESERVE):
            raise ConfigurationError(
                "max_parsing_bytes must be an int >= max_body_bytes + 1 MiB "
                f"({self.max_body_bytes + SMALL_BODY_RESERVE}), not {parsing!r}"
            )
        for name in ("idle_timeout", "body_timeout", "max_execution_time_ms"):
            value = getattr(self, name)
            if not is_positive_number(value):
                raise ConfigurationError(f"{name} must be a positive number, not {value!r}")
        if self.isolation not in ISOLATION_MODES:
            raise ConfigurationError(
                f"isolation must be one of {', '.join(ISOLATION_MODES)}, not {self.isolation!r}"
            )
        count, seconds = self.rate_limit
        if count < 1 or seconds <= 0:
            raise ConfigurationError(
                f"rate_limit must be (count >= 1, seconds > 0), not {self.rate_limit!r}"
            )
