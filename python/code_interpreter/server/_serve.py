"""`python -m code_interpreter serve`: the service under uvicorn.

PYTEST_DONT_REWRITE (see code_interpreter.__init__)."""

from __future__ import annotations

import argparse
import ipaddress
import sys

from .._errors import ConfigurationError
from ._settings import ServerSettings, keys_from_environment, parse_rate_limit

__all__ = ["serve_main"]

# In-flight requests get this long after SIGTERM before the sandboxes are killed.
_DRAIN_SECONDS = 10


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m code_interpreter serve",
        description="Serve the sandbox over HTTP (API keys from CODE_INTERPRETER_API_KEYS).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--max-body-bytes", type=int, default=10 << 20)
    parser.add_argument("--rate-limit", default="120/60", help="COUNT/SECONDS per API key")
    parser.add_argument("--idle-timeout", type=float, default=300, help="seconds")
    parser.add_argument(
        "--security-level", default="strict", choices=["strict", "moderate", "permissive"]
    )
    parser.add_argument("--workers", type=int, default=4, help="executions running at once")
    parser.add_argument("--max-sandboxes", type=int, default=1000)
    return parser.parse_args(argv)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve_main(argv: list[str]) -> int:
    args = _parse(argv)
    try:
        import uvicorn

        from ._app import create_app
    except ImportError as error:
        print(
            f"error: the server extra is needed: pip install 'code-interpreter[server]' ({error})",
            file=sys.stderr,
        )
        return 2
    keys = keys_from_environment()
    if not keys and not _loopback(args.host):
        print(
            f"error: without CODE_INTERPRETER_API_KEYS the service serves loopback only; "
            f"{args.host} is not a loopback address",
            file=sys.stderr,
        )
        return 2
    try:
        settings = ServerSettings(
            api_keys=keys,
            max_body_bytes=args.max_body_bytes,
            rate_limit=parse_rate_limit(args.rate_limit),
            idle_timeout=args.idle_timeout,
            security_level=args.security_level,
            workers=args.workers,
            max_sandboxes=args.max_sandboxes,
        )
    except ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not keys:
        print(
            "code_interpreter: no API keys set: serving loopback clients only, without "
            "authentication",
            file=sys.stderr,
        )
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level="warning",
        timeout_graceful_shutdown=_DRAIN_SECONDS,
        limit_concurrency=10_000,
    )
    return 0
