"""The ASGI app: the sandbox as a hardened HTTP service (execute, status, health, metrics,
dashboard).

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
from .._validation import is_positive_number
from ._dashboard import DASHBOARD_HTML
from ._json import BodyRefused, encode, parse_object
from ._limits import ByteBudget, SlidingWindowLimiter
from ._metrics import ServiceMetrics
from ._openapi import openapi_document
from ._registry import AtCapacity, SandboxRegistry
from ._settings import SMALL_BODY_BYTES, SMALL_BODY_RESERVE, ServerSettings

__all__ = ["create_app"]

# Whole-string matches only (fullmatch): "$" would let a final newline through.
_USER_ID = re.compile(r"[A-Za-z0-9_@.+-]{1,128}")
_DEFAULT_USER = "anonymous"


class _JSONResponse(JSONResponse):
    """Any string renders, lone surrogates included (see `encode`)."""

    def render(self, content: Any) -> bytes:
        return encode(content)


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
    return _JSONResponse(body, status_code=status, headers=headers)


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
        self.metrics = ServiceMetrics()  # every key's figures
        self.limiter = SlidingWindowLimiter(*settings.rate_limit)
        assert settings.max_parsing_bytes is not None  # set by ServerSettings
        self.parsing = ByteBudget(settings.max_parsing_bytes, SMALL_BODY_BYTES, SMALL_BODY_RESERVE)
        options = {
            "security_level": settings.security_level,
            "max_execution_time": settings.max_execution_time_ms,
            "memory_limit_mb": settings.memory_limit_mb,
            "isolation": settings.isolation,
            **settings.sandbox_options,
        }
        self.registry = SandboxRegistry(options, settings.max_sandboxes, settings.idle_timeout)
        self.running = asyncio.Semaphore(settings.workers)
        self.started = time.monotonic()
        admins = set(settings.admin_keys)
        self._keys = [
            (key.encode(), hashlib.sha256(key.encode()).hexdigest()[:16], key in admins)
            for key in dict.fromkeys(settings.api_keys + settings.admin_keys)
        ]
        self._admins = {key_id for _, key_id, admin in self._keys if admin}
        # Each ordinary key's own figures, beside everyone's.
        self._own_metrics = {
            key_id: ServiceMetrics() for _, key_id, admin in self._keys if not admin
        }

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
        for key, key_id, _ in self._keys:  # every key compared, in constant time each
            if hmac.compare_digest(given.encode(), key):
                found = key_id
        if found is None:
            raise _Refused(
                401, "a valid API key is required (Authorization: Bearer <key>)", "Unauthorized"
            )
        return found

    def rate_client(self, request: Request, owner: str) -> str:
        """Whom the rate limit counts: the key, or without keys the client's address."""
        if self._keys:
            return owner
        return f"address {request.client.host if request.client else ''}"

    def figures(self, owner: str) -> tuple[ServiceMetrics, int]:
        """The metrics and live sandboxes `owner` may see: its own, or an admin's (and the
        keyless service's only client's) every key's."""
        own = self._own_metrics.get(owner)
        if own is None:
            self.metrics.active_sandboxes.set(len(self.registry))
            return self.metrics, len(self.registry)
        sandboxes = self.registry.count(owner)
        own.active_sandboxes.set(sandboxes)
        return own, sandboxes

    def record(self, owner: str, seconds: float, outcome: str) -> None:
        self.metrics.record(seconds, outcome)
        own = self._own_metrics.get(owner)
        if own is not None:
            own.record(seconds, outcome)

    # -- routes ----------------------------------------------------------------------------
    async def execute(self, request: Request) -> Response:
        owner = self.owner(request)
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length")
        size = int(declared) if declared is not None and declared.isdigit() else limit
        if size > limit:
            raise _Refused(413, f"the body is larger than {limit} bytes", "PayloadTooLarge")
        # The body's bytes are held from its reading until its run ends: its parsed tree, tens
        # of times its size, lives that long.
        try:
            async with self.parsing.hold(size, self.settings.body_timeout):
                return await self._execute(request, owner)
        except asyncio.TimeoutError:
            raise _Refused(
                503,
                "too many large requests at once; try again shortly",
                "ServiceUnavailable",
                **{"Retry-After": "1"},
            ) from None

    async def _execute(self, request: Request, owner: str) -> Response:
        payload = await self._read_json(request)
        code = payload.get("code")
        if not isinstance(code, str) or not code.strip():
            raise _Refused(400, "code must be a non-empty string", "ValidationError")
        user = payload.get("userId", _DEFAULT_USER)
        if not isinstance(user, str) or not _USER_ID.fullmatch(user):
            raise _Refused(400, "userId must be 1-128 letters, digits or _@.+-", "ValidationError")
        context = payload.get("context")
        if context is not None and not isinstance(context, dict):
            raise _Refused(400, "context must be an object", "ValidationError")
        timeout = payload.get("timeout")
        if timeout is not None and not is_positive_number(timeout):
            raise _Refused(
                400, "timeout must be a positive number of milliseconds", "ValidationError"
            )
        wait = self.limiter.admit(self.rate_client(request, owner))
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
        started = time.perf_counter()
        try:
            async with self.running:
                result = await sandbox.execute(
                    code, context, timeout=timeout, return_raw_result=False
                )
        except (SandboxError, TypeError, ValueError) as error:
            self.record(owner, time.perf_counter() - started, type(error).__name__)
            return _failure(400, str(error), type(error).__name__)
        finally:
            self.registry.release(owner, user)
        elapsed = time.perf_counter() - started
        self.record(owner, elapsed, "ok")
        return _JSONResponse(
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
        sandbox = self.registry.find(owner, user) if _USER_ID.fullmatch(user) else None
        if sandbox is None:
            raise _Refused(404, f"no sandbox for user {user!r}", "NotFound")
        status = sandbox.get_status()
        return _JSONResponse(json.loads(json.dumps(status, default=str)))

    async def health(self, request: Request) -> Response:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return _JSONResponse(
            {
                "status": "healthy",
                "activeSandboxes": len(self.registry),
                "uptime": round(time.monotonic() - self.started, 3),
                "memory": {"maxRssBytes": usage.ru_maxrss * 1024},
            }
        )

    async def metrics_text(self, request: Request) -> Response:
        metrics, _ = self.figures(self.owner(request))
        return Response(metrics.prometheus(), media_type="text/plain; version=0.0.4")

    async def stats(self, request: Request) -> Response:
        metrics, sandboxes = self.figures(self.owner(request))
        return _JSONResponse(metrics.live(sandboxes))

    async def dashboard(self, request: Request) -> Response:
        self.owner(request)
        return HTMLResponse(DASHBOARD_HTML)

    async def openapi(self, request: Request) -> Response:
        return _JSONResponse(openapi_document(self.settings))

    # -- input -----------------------------------------------------------------------------
    async def _read_json(self, request: Request) -> dict[str, Any]:
        limit = self.settings.max_body_bytes
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
            if len(body) <= SMALL_BODY_BYTES:  # under a millisecond: a thread would cost more
                return parse_object(body)
            # Off the event loop; the parser still holds the GIL, so the byte budget is what
            # bounds how long the loop can wait on parsing.
            return await asyncio.to_thread(parse_object, body)
        except BodyRefused as refused:
            raise _Refused(400, str(refused), "ValidationError") from None


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
