"""The ASGI app: the seed's Express integration as a hardened service.

PYTEST_DONT_REWRITE (see code_interpreter.__init__)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import hmac
import ipaddress
import json
import re
import resource
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .._errors import ConfigurationError, SandboxError
from ._dashboard import DASHBOARD_HTML
from ._limits import SlidingWindowLimiter
from ._metrics import ServiceMetrics
from ._openapi import openapi_document
from ._registry import AtCapacity, SandboxRegistry
from ._settings import ServerSettings

__all__ = ["create_app"]

_USER_ID = re.compile(r"^[A-Za-z0-9_@.+-]{1,128}$")
_DEFAULT_USER = "anonymous"


class _Refused(Exception):
    """A request refused with `status` and a JSON error."""

    def __init__(self, status: int, message: str, error_type: str, **headers: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.headers = headers


def _timestamp() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def _failure(status: int, message: str, error_type: str, headers: Any = None) -> JSONResponse:
    body = {"success": False, "error": message, "errorType": error_type, "timestamp": _timestamp()}
    return JSONResponse(body, status_code=status, headers=headers)


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class _Service:
    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.metrics = ServiceMetrics()
        self.limiter = SlidingWindowLimiter(*settings.rate_limit)
        options = {
            "security_level": settings.security_level,
            "max_execution_time": settings.max_execution_time_ms,
            "memory_limit_mb": settings.memory_limit_mb,
            **settings.sandbox_options,
        }
        self.registry = SandboxRegistry(options, settings.max_sandboxes, settings.idle_timeout)
        self.running = asyncio.Semaphore(settings.workers)
        self.started = time.monotonic()
        self._keys = [
            (key.encode(), hashlib.sha256(key.encode()).hexdigest()[:16])
            for key in settings.api_keys
        ]

    # -- who is asking ---------------------------------------------------------------------
    def owner(self, request: Request) -> str:
        """The caller's key id (sandboxes and limits are per key); raises _Refused."""
        if not self._keys:
            host = request.client.host if request.client else None
            if not _is_loopback(host):
                raise _Refused(
                    403, "without API keys this service serves loopback only", "Forbidden"
                )
            return "local"
        given = _bearer(request) or request.query_params.get("key", "")
        found = None
        for key, key_id in self._keys:  # every key compared, in constant time each
            if hmac.compare_digest(given.encode(), key):
                found = key_id
        if found is None:
            raise _Refused(
                401, "a valid API key is required (Authorization: Bearer <key>)", "Unauthorized"
            )
        return found

    # -- routes ----------------------------------------------------------------------------
    async def execute(self, request: Request) -> Response:
        owner = self.owner(request)
        payload = await self._read_json(request)
        code = payload.get("code")
        if not isinstance(code, str) or not code.strip():
            raise _Refused(400, "code must be a non-empty string", "ValidationError")
        user = payload.get("userId", _DEFAULT_USER)
        if not isinstance(user, str) or not _USER_ID.match(user):
            raise _Refused(400, "userId must be 1-128 letters, digits or _@.+-", "ValidationError")
        context = payload.get("context")
        if context is not None and not isinstance(context, dict):
            raise _Refused(400, "context must be an object", "ValidationError")
        timeout = payload.get("timeout")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
        ):
            raise _Refused(
                400, "timeout must be a positive number of milliseconds", "ValidationError"
            )
        wait = self.limiter.admit(owner)
        if wait:
            raise _Refused(
                429,
                f"rate limit of {self.settings.rate_limit[0]} executions per "
                f"{self.settings.rate_limit[1]:g} s reached",
                "RateLimitExceeded",
                **{"Retry-After": SlidingWindowLimiter.retry_after(wait)},
            )
        try:
            sandbox = await self.registry.acquire(owner, user)
        except AtCapacity:
            raise _Refused(
                503,
                "every sandbox is busy; try again shortly",
                "ServiceUnavailable",
                **{"Retry-After": "1"},
            ) from None
        self.metrics.active_sandboxes.set(len(self.registry))
        started = time.perf_counter()
        try:
            async with self.running:
                result = await sandbox.execute(
                    code, context, timeout=timeout, return_raw_result=False
                )
        except (SandboxError, TypeError, ValueError) as error:
            self.metrics.record(time.perf_counter() - started, type(error).__name__)
            return _failure(400, str(error), type(error).__name__)
        finally:
            self.registry.release(owner, user)
        elapsed = time.perf_counter() - started
        self.metrics.record(elapsed, "ok")
        return JSONResponse(
            {
                "success": True,
                "result": result.value,
                "executionTime": round(elapsed * 1000, 3),
                "timestamp": _timestamp(),
                "console": [{"level": line.level, "text": line.text} for line in result.console],
            }
        )

    async def status(self, request: Request) -> Response:
        owner = self.owner(request)
        user = request.path_params["user_id"]
        sandbox = self.registry.find(owner, user) if _USER_ID.match(user) else None
        if sandbox is None:
            raise _Refused(404, f"no sandbox for user {user!r}", "NotFound")
        status = sandbox.get_status()
        return JSONResponse(json.loads(json.dumps(status, default=str)))

    async def health(self, request: Request) -> Response:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return JSONResponse(
            {
                "status": "ok",
                "activeSandboxes": len(self.registry),
                "uptime": round(time.monotonic() - self.started, 3),
                "memory": {"maxRssBytes": usage.ru_maxrss * 1024},
            }
        )

    async def metrics_text(self, request: Request) -> Response:
        self.owner(request)
        self.metrics.active_sandboxes.set(len(self.registry))
        return Response(self.metrics.prometheus(), media_type="text/plain; version=0.0.4")

    async def stats(self, request: Request) -> Response:
        self.owner(request)
        return JSONResponse(self.metrics.live(len(self.registry)))

    async def dashboard(self, request: Request) -> Response:
        self.owner(request)
        return HTMLResponse(DASHBOARD_HTML)

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document(self.settings))

    # -- input -----------------------------------------------------------------------------
    async def _read_json(self, request: Request) -> dict[str, Any]:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _Refused(413, f"the body is larger than {limit} bytes", "PayloadTooLarge")
        body = bytearray()

        async def read() -> None:
            async for chunk in request.stream():
                body.extend(chunk)
                if len(body) > limit:
                    raise _Refused(413, f"the body is larger than {limit} bytes", "PayloadTooLarge")

        try:
            await asyncio.wait_for(read(), self.settings.body_timeout)
        except asyncio.TimeoutError:
            raise _Refused(408, "the body took too long to arrive", "RequestTimeout") from None
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise _Refused(400, "the body must be JSON", "ValidationError") from None
        if not isinstance(payload, dict):
            raise _Refused(400, "the body must be a JSON object", "ValidationError")
        return payload


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def create_app(settings: ServerSettings | None = None, **overrides: Any) -> Starlette:
    """The service as an ASGI app (serve it with uvicorn: `python -m code_interpreter serve`).
    `settings` or keyword overrides of `ServerSettings`."""
    if settings is None:
        settings = ServerSettings(**overrides)
    elif overrides:
        raise ConfigurationError("give settings or keyword overrides, not both")
    service = _Service(settings)

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                response: Response = await handler(request)
            except _Refused as refused:
                return _failure(refused.status, str(refused), refused.error_type, refused.headers)
            return response

        return endpoint

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async def expire() -> None:
            while True:
                await asyncio.sleep(min(settings.idle_timeout / 4, 5.0))
                await service.registry.expire_idle()
                service.metrics.active_sandboxes.set(len(service.registry))

        task = asyncio.create_task(expire())
        try:
            yield
        finally:
            task.cancel()
            await service.registry.close()

    routes = [
        Route("/api/execute", guarded(service.execute), methods=["POST"]),
        Route("/api/sandbox/{user_id:str}/status", guarded(service.status), methods=["GET"]),
        Route("/api/health", guarded(service.health), methods=["GET"]),
        Route("/api/stats", guarded(service.stats), methods=["GET"]),
        Route("/metrics", guarded(service.metrics_text), methods=["GET"]),
        Route("/dashboard", guarded(service.dashboard), methods=["GET"]),
        Route("/openapi.json", guarded(service.openapi), methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.service = service
    return app
