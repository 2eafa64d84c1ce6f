"""What a hostile client sends inside well-formed HTTP: odd strings, deep JSON, user ids that
look like others, and questions about other tenants' figures. Each case was reproduced against
the service before it was fixed."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from .conftest import KEYS, RunningServer
from .test_service import execute

ADMIN_KEY = "admin-key-5555555555"


def test_a_lone_surrogate_in_the_result_is_encoded_as_console_lines_are(
    server: RunningServer,
) -> None:
    code = "const s = 'a' + String.fromCharCode(0xD800) + 'b'; console.log(s); return s"
    response = execute(server, {"code": code})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["result"] == body["console"][0]["text"]
    assert body["result"] == "a\ufffdb"


def test_a_deeply_nested_body_gets_400_with_a_typed_error(server: RunningServer) -> None:
    deep = b'{"code": "1", "context": {"a": ' + b"[" * 20_000 + b"]" * 20_000 + b"}}"
    objects = b'{"code": "1", "context": ' + b'{"a": ' * 20_000 + b"1" + b"}" * 20_000 + b"}"
    with server.client() as client:
        for body in (deep, objects):
            response = client.post("/api/execute", content=body)
            assert response.status_code == 400, response.text[:200]
            assert response.json()["errorType"] == "ValidationError"
            assert "nested" in response.json()["error"]
        # Brackets inside strings are text, not nesting.
        text = {"code": "return context.s.length", "context": {"s": "[" * 20_000 + "{"}}
        assert client.post("/api/execute", json=text).json()["result"] == "20001"
        moderate = b'{"code": "return context.a.length", "context": {"a": '
        moderate += b"[" * 100 + b"]" * 100 + b"}}"
        assert client.post("/api/execute", content=moderate).json()["result"] == "1"


def test_every_unparsable_body_gets_400(server: RunningServer) -> None:
    bodies = [b"\xff\xfe{", b'{"code": "1"', b'{"code": "1"}}', b"", b"  ", b"[" * 5 + b"}"]
    with server.client() as client:
        for body in bodies:
            response = client.post("/api/execute", content=body)
            assert response.status_code == 400, body
            assert response.json()["errorType"] == "ValidationError", body


def test_a_user_id_with_a_trailing_newline_is_refused_in_both_routes(
    server: RunningServer,
) -> None:
    refused = execute(server, {"code": "1", "userId": "alice\n"})
    assert refused.status_code == 400 and refused.json()["errorType"] == "ValidationError"
    assert execute(server, {"code": "1", "userId": "alice"}).status_code == 200
    with server.client() as client:
        assert client.get("/api/sandbox/alice/status").status_code == 200
        assert client.get("/api/sandbox/alice%0A/status").status_code == 404


def test_health_says_healthy_as_existing_clients_expect(server: RunningServer) -> None:
    with server.client(None) as anonymous:
        assert anonymous.get("/api/health").json()["status"] == "healthy"


def _executions(text: str, outcome: str) -> float:
    prefix = f'code_interpreter_executions_total{{outcome="{outcome}"}} '
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    return float(lines[0][len(prefix) :]) if lines else 0.0


def test_an_ordinary_key_sees_only_its_own_figures(server: RunningServer) -> None:
    for _ in range(3):
        execute(server, {"code": "1", "userId": "one"}, key=KEYS[0])
    execute(server, {"code": "throw new Error('x')", "userId": "one"}, key=KEYS[0])
    execute(server, {"code": "1", "userId": "two"}, key=KEYS[1])
    with server.client(KEYS[1]) as other:
        text = other.get("/metrics").text
        assert _executions(text, "ok") == 1.0
        assert _executions(text, "JavaScriptError") == 0.0
        assert "code_interpreter_active_sandboxes 1.0" in text
        stats = other.get("/api/stats").json()
        assert sum(point["rate"] for point in stats["points"]) == 1
        assert stats["errors_by_type"] == {} and stats["active_sandboxes"] == 1
    with server.client(KEYS[0]) as first:
        assert _executions(first.get("/metrics").text, "ok") == 3.0


def test_an_admin_key_sees_every_keys_figures(serve: Callable[..., RunningServer]) -> None:
    server = serve(admin_keys=(ADMIN_KEY,))
    execute(server, {"code": "1"}, key=KEYS[0])
    execute(server, {"code": "1"}, key=KEYS[1])
    execute(server, {"code": "throw 1"}, key=KEYS[1])
    with server.client(ADMIN_KEY) as admin:
        text = admin.get("/metrics").text
        assert _executions(text, "ok") == 2.0 and _executions(text, "JavaScriptError") == 1.0
        assert "code_interpreter_active_sandboxes 2.0" in text
        stats = admin.get("/api/stats").json()
        assert sum(point["rate"] for point in stats["points"]) == 3
        assert admin.get("/dashboard").status_code == 200
        # An admin key is a key: it executes in sandboxes of its own.
        assert admin.post("/api/execute", json={"code": "6 * 7"}).json()["result"] == "42"
    with server.client(KEYS[0]) as ordinary:
        assert _executions(ordinary.get("/metrics").text, "ok") == 1.0


def test_without_keys_each_client_address_has_its_own_rate_limit(
    serve: Callable[..., RunningServer],
) -> None:
    server = serve(api_keys=(), rate_limit=(2, 60))

    def post_from(address: str) -> int:
        transport = httpx.HTTPTransport(local_address=address)
        with httpx.Client(base_url=server.url, transport=transport, timeout=30) as client:
            return client.post("/api/execute", json={"code": "1"}).status_code

    assert [post_from("127.0.0.1") for _ in range(3)] == [200, 200, 429]
    assert post_from("127.0.0.2") == 200
