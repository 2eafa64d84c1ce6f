"""Connection limits of `serve`, enforced below the app (before any authentication): uvicorn's
httptools protocol has no header size cap, no time limit on reading headers, and no
per-client connection count (its h11 options do not apply to httptools).

PYTEST_DONT_REWRITE (see code_interpreter.__init__)."""

from __future__ import annotations

import asyncio
import http
from collections import Counter
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .._errors import ConfigurationError
from .._validation import is_int, is_positive_number

__all__ = ["ConnectionLimits", "limited_protocol"]


@dataclass(frozen=True)
class ConnectionLimits:
    """Limits on each HTTP connection of `serve`. Sizes in bytes, times in seconds.

    - ``max_header_bytes``: a request head (request line and headers) larger than this gets
      431 and the connection is closed; no more of it is buffered.
    - ``header_timeout``: the whole head must arrive within this long of its first byte (of
      the connection's opening for its first request); else 408 (or, when nothing came, a
      silent close). Bytes trickling in do not extend it.
    - ``max_connections_per_client``: connections one client address may hold open at once;
      more are answered 503 and closed.

    Example: ``ConnectionLimits(header_timeout=5, max_connections_per_client=32)``.
    """

    max_header_bytes: int = 16 << 10
    header_timeout: float = 10.0
    max_connections_per_client: int = 64

    def __post_init__(self) -> None:
        for name in ("max_header_bytes", "max_connections_per_client"):
            value = getattr(self, name)
            if not is_int(value, 1):
                raise ConfigurationError(f"{name} must be an int >= 1, not {value!r}")
        timeout = self.header_timeout
        if not is_positive_number(timeout):
            raise ConfigurationError(f"header_timeout must be a positive number, not {timeout!r}")


def _refusal(status: http.HTTPStatus, message: str) -> bytes:
    body = message.encode()
    return (
        f"HTTP/1.1 {status.value} {status.phrase}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


def limited_protocol(limits: ConnectionLimits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol under `limits`, as a class for `uvicorn.Config(http=...)`.
    Each call makes a class with its own count of connections per client."""
    per_client: Counter[str] = Counter()

    class LimitedHttpToolsProtocol(HttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._counted: str | None = None
            self._awaiting_head = True
            self._head_started = False
            self._head_bytes = 0
            self._head_began_in_read = False
            self._body_bytes_in_read = 0
            self._body_bytes_before_head = 0
            self._head_timer: asyncio.TimerHandle | None = None

        # -- connections per client ------------------------------------------------------
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if self.client is not None:
                address = self.client[0]
                if per_client[address] >= limits.max_connections_per_client:
                    self._refuse(
                        http.HTTPStatus.SERVICE_UNAVAILABLE,
                        "too many connections from this address",
                    )
                    return
                per_client[address] += 1
                self._counted = address
            self._arm_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_head_timer()
            if self._counted is not None:
                per_client[self._counted] -= 1
                if per_client[self._counted] <= 0:
                    del per_client[self._counted]
                self._counted = None
            super().connection_lost(exc)

        # -- the head: its size and its time ---------------------------------------------
        def data_received(self, data: bytes) -> None:
            if self.transport.is_closing():
                return
            if self._awaiting_head and self._head_timer is None:
                self._arm_head_timer()
            self._head_began_in_read = False
            self._body_bytes_in_read = 0
            super().data_received(data)
            if not self._head_started or self.transport.is_closing():
                return
            # A head began and is still incomplete: count what arrived of it. A head that
            # began in this read counts the read less the body bytes before it (an earlier
            # pipelined head in the same read counts too: an overestimate by at most that
            # head).
            if self._head_began_in_read:
                self._head_bytes = len(data) - self._body_bytes_before_head
            else:
                self._head_bytes += len(data)
            if self._head_bytes > limits.max_header_bytes:
                self._refuse_large_head()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._awaiting_head = True
            self._head_started = True
            self._head_began_in_read = True
            self._body_bytes_before_head = self._body_bytes_in_read
            if self._head_timer is None:
                self._arm_head_timer()

        def on_headers_complete(self) -> None:
            self._disarm_head_timer()
            self._awaiting_head = False
            self._head_started = False
            self._head_bytes = 0
            # A head that arrived whole in one read was not counted: measure what it holds.
            size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
            if size > limits.max_header_bytes:
                self._refuse_large_head()
                return
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            self._body_bytes_in_read += len(body)
            super().on_body(body)

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._awaiting_head = True

        def _refuse_large_head(self) -> None:
            self._refuse(
                http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                f"the request head is larger than {limits.max_header_bytes} bytes",
            )

        def _arm_head_timer(self) -> None:
            self._head_timer = self.loop.call_later(limits.header_timeout, self._head_timed_out)

        def _disarm_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self.transport.is_closing() or not self._awaiting_head:
                return
            if self.cycle is not None and not self.cycle.response_complete:
                # The previous request is still being answered: close once it is.
                self.cycle.keep_alive = False
                return
            if self._head_started:
                self._refuse(
                    http.HTTPStatus.REQUEST_TIMEOUT,
                    f"the request head took longer than {limits.header_timeout:g} s",
                )
            else:  # an idle connection: nothing asked, nothing to answer
                self.transport.close()

        def _refuse(self, status: http.HTTPStatus, message: str) -> None:
            self._disarm_head_timer()
            self._awaiting_head = False
            # While a pipelined request is being answered, a refusal would cut into its
            # response: the connection just closes.
            if self.cycle is None or self.cycle.response_complete:
                self.transport.write(_refusal(status, message))
            self.transport.close()

    return LimitedHttpToolsProtocol
