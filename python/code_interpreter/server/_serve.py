"""`python -m code_interpreter serve`: the service under uvicorn.

PYTEST_DONT_REWRITE (see code_interpreter.__init__)."""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import sys
from typing import TYPE_CHECKING, Any

from .._errors import ConfigurationError
from ._settings import (
    ADMIN_KEYS_VARIABLE,
    ServerSettings,
    keys_from_environment,
    parse_rate_limit,
)

if TYPE_CHECKING:
    import uvicorn

    from ._protocol import ConnectionLimits

__all__ = ["serve_main", "uvicorn_config"]

# In-flight requests get this long after SIGTERM before the sandboxes are killed.
_DRAIN_SECONDS = 10
# Connections over the whole server; past it uvicorn answers 503. Per client address the
# limit is ConnectionLimits.max_connections_per_client.
_MAX_CONNECTIONS = 10_000


def uvicorn_config(
    app: Any, limits: ConnectionLimits, host: str = "127.0.0.1", port: int = 8000, **options: Any
) -> uvicorn.Config:
    """The uvicorn configuration `serve` runs `app` with: httptools under `limits`."""
    import uvicorn

    from ._protocol import limited_protocol

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=limited_protocol(limits),
        limit_concurrency=_MAX_CONNECTIONS,
        timeout_graceful_shutdown=_DRAIN_SECONDS,
        **options,
    )


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
    parser.add_argument(
        "--isolation",
        default="process",
        choices=["process", "thread"],
        help="each user's sandbox in worker processes (default) or in this process",
    )
    parser.add_argument("--max-sandboxes", type=int, default=1000)
    parser.add_argument(
        "--max-parsing-bytes",
        type=int,
        help="body bytes being parsed and run at once (default: max body bytes + 1 MiB)",
    )
    parser.add_argument(
        "--max-header-bytes", type=int, default=16 << 10, help="larger request heads get 431"
    )
    parser.add_argument(
        "--header-timeout", type=float, default=10, help="seconds to send a request head"
    )
    parser.add_argument(
        "--max-connections-per-client",
        type=int,
        default=64,
        help="connections one client address may hold open",
    )
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
        from ._protocol import ConnectionLimits
    except ImportError as error:
        print(
            f"error: the server extra is needed: pip install 'code-interpreter[server]' ({error})",
            file=sys.stderr,
        )
        return 2
    keys = keys_from_environment()
    admin_keys = keys_from_environment(variable=ADMIN_KEYS_VARIABLE)
    if not keys and not admin_keys and not _loopback(args.host):
        print(
            f"error: without CODE_INTERPRETER_API_KEYS the service serves loopback only; "
            f"{args.host} is not a loopback address",
            file=sys.stderr,
        )
        return 2
    try:
        settings = ServerSettings(
            api_keys=keys,
            admin_keys=admin_keys,
            max_body_bytes=args.max_body_bytes,
            max_parsing_bytes=args.max_parsing_bytes,
            rate_limit=parse_rate_limit(args.rate_limit),
            idle_timeout=args.idle_timeout,
            security_level=args.security_level,
            workers=args.workers,
            isolation=args.isolation,
            max_sandboxes=args.max_sandboxes,
        )
        limits = ConnectionLimits(
            max_header_bytes=args.max_header_bytes,
            header_timeout=args.header_timeout,
            max_connections_per_client=args.max_connections_per_client,
        )
    except ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not keys and not admin_keys:
        print(
            "code_interpreter: no API keys set: serving loopback clients only, without "
            "authentication",
            file=sys.stderr,
        )
    config = uvicorn_config(
        create_app(settings), limits, host=args.host, port=args.port, log_level="warning"
    )
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C stops it, as uvicorn.run does
        server.run()
    return 0 if server.started else 1
