"""The HTTP service against a real uvicorn server on a loopback port: every route, status
code and refusal."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from .conftest import KEYS, RunningServer, free_port


def execute(server: RunningServer, body: object, key: str | None = KEYS[0]) -> httpx.Response:
    with server.client(key) as client:
        return client.post("/api/execute", json=body)


def test_execute_returns_the_documented_shape_plus_console(server: RunningServer) -> None:
    response = execute(server, {"code": "console.log('hi', 1); 2 + 3 * 4"})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["result"] == "14"
    assert body["executionTime"] > 0 and body["timestamp"].endswith("Z")
    assert body["console"] == [{"level": "log", "text": "hi 1"}]
    with_context = execute(server, {"code": "return context.n * 2", "context": {"n": 21}})
    assert with_context.json()["result"] == "42"


def test_keys_are_required_and_checked(server: RunningServer) -> None:
    for key in (None, "wrong", KEYS[0] + "x"):
        response = execute(server, {"code": "1"}, key=key)
        assert response.status_code == 401
        assert response.json()["errorType"] == "Unauthorized"
    assert execute(server, {"code": "1"}, key=KEYS[1]).status_code == 200


def test_bad_input_gets_400_and_a_json_error(server: RunningServer) -> None:
    bodies: list[object] = [
        {},
        {"code": ""},
        {"code": 42},
        {"code": "1", "context": [1, 2]},
        {"code": "1", "context": "x"},
        {"code": "1", "userId": "../etc/passwd"},
        {"code": "1", "userId": "a/b"},
        {"code": "1", "userId": ""},
        {"code": "1", "userId": 7},
        {"code": "1", "timeout": -5},
        {"code": "1", "timeout": "soon"},
        [1, 2, 3],
        "just a string",
    ]
    for body in bodies:
        response = execute(server, body)
        assert response.status_code == 400, body
        payload = response.json()
        assert payload["success"] is False and payload["errorType"] == "ValidationError", body
    with server.client() as client:
        response = client.post(
            "/api/execute", content=b"{not json", headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400 and response.json()["errorType"] == "ValidationError"


def test_script_failures_get_400_with_their_type(server: RunningServer) -> None:
    # The bomb reaches the memory limit in about 0.2-0.3 s here, slower on a loaded machine:
    # only the loop gets the short timeout.
    cases = {
        "throw new TypeError('no')": ("JavaScriptError", 500),
        "while (true) {}": ("ExecutionTimeout", 500),
        "require('fs')": ("SecurityViolation", 500),
        "const a = []; while (true) a.push(new Array(1e5).fill(1))": (
            "MemoryLimitExceeded",
            5000,
        ),
    }
    for code, (error_type, timeout) in cases.items():
        response = execute(server, {"code": code, "timeout": timeout})
        assert response.status_code == 400, code
        assert response.json()["errorType"] == error_type, code
    assert execute(server, {"code": "1 + 1"}).json()["result"] == "2"


def test_oversized_bodies_get_413(serve: Callable[..., RunningServer]) -> None:
    server = serve(max_body_bytes=1000)
    big = {"code": "1", "context": {"pad": "x" * 2000}}
    assert execute(server, big).status_code == 413

    def chunks() -> object:
        yield b'{"code": "1", "pad": "'
        for _ in range(10):
            yield b"y" * 200
        yield b'"}'

    with server.client() as client:
        response = client.post("/api/execute", content=chunks())  # no Content-Length
    assert response.status_code == 413
    assert response.json()["errorType"] == "PayloadTooLarge"


def test_rate_limit_per_key_with_retry_after(serve: Callable[..., RunningServer]) -> None:
    server = serve(rate_limit=(3, 60))
    codes = [execute(server, {"code": "1"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = execute(server, {"code": "1"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert execute(server, {"code": "1"}, key=KEYS[1]).status_code == 200  # another key


def test_sandboxes_belong_to_their_key(server: RunningServer) -> None:
    assert execute(server, {"code": "1", "userId": "alice"}).status_code == 200
    with server.client() as client:
        status = client.get("/api/sandbox/alice/status")
        assert status.status_code == 200 and status.json()["is_active"] is True
        assert client.get("/api/sandbox/bob/status").status_code == 404
        assert client.get("/api/sandbox/..%2F..%2Fetc/status").status_code == 404
    with server.client(KEYS[1]) as other:
        assert other.get("/api/sandbox/alice/status").status_code == 404


def test_health_is_open_and_metrics_count(server: RunningServer) -> None:
    execute(server, {"code": "1"})
    execute(server, {"code": "throw 1"})
    with server.client(None) as anonymous:
        health = anonymous.get("/api/health")
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "healthy" and body["activeSandboxes"] == 1 and body["uptime"] > 0
        assert anonymous.get("/metrics").status_code == 401
    with server.client() as client:
        text = client.get("/metrics").text
    assert 'code_interpreter_executions_total{outcome="ok"} 1.0' in text
    assert 'code_interpreter_executions_total{outcome="JavaScriptError"} 1.0' in text
    assert "code_interpreter_execution_seconds_bucket" in text
    assert "code_interpreter_active_sandboxes 1.0" in text


def test_openapi_and_dashboard(server: RunningServer) -> None:
    with server.client(None) as anonymous:
        document = anonymous.get("/openapi.json").json()
        assert document["openapi"].startswith("3.")
        assert "/api/execute" in document["paths"]
        page = anonymous.get(f"/dashboard?key={KEYS[0]}")
        assert page.status_code == 200 and "<canvas" in page.text
        assert "http://" not in page.text and "https://" not in page.text  # nothing fetched
        assert anonymous.get("/dashboard").status_code == 401
    with server.client() as client:
        stats = client.get("/api/stats").json()
        assert len(stats["points"]) == 60


def test_many_users_are_bounded(serve: Callable[..., RunningServer]) -> None:
    server = serve(max_sandboxes=3, workers=4)
    for i in range(6):
        assert execute(server, {"code": "1", "userId": f"user{i}"}).status_code == 200
    with server.client() as client:
        assert client.get("/api/health").json()["activeSandboxes"] == 3
    # Three users busy at once hold every slot: a fourth is told to come back.
    slow = {"code": "const t = Date.now(); while (Date.now() - t < 1500) {} return 1"}
    results: list[int] = []
    threads = [
        threading.Thread(
            target=lambda i=i: results.append(
                execute(server, {**slow, "userId": f"busy{i}"}).status_code
            )
        )
        for i in range(3)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    refused = execute(server, {"code": "1", "userId": "late"})
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [200, 200, 200]
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"


def test_slow_client_gets_408_and_others_are_served(serve: Callable[..., RunningServer]) -> None:
    server = serve(body_timeout=0.5)
    with socket.create_connection(("127.0.0.1", server.port)) as slow:
        slow.sendall(
            b"POST /api/execute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {KEYS[0]}\r\nContent-Length: 100\r\n\r\n".encode()
            + b'{"code": '
        )
        assert execute(server, {"code": "6 * 7"}).json()["result"] == "42"
        slow.settimeout(10)
        reply = slow.recv(4096).decode()
    assert reply.startswith("HTTP/1.1 408")


def test_without_keys_loopback_only_and_said(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CODE_INTERPRETER_API_KEYS"}
    refused = subprocess.run(
        [sys.executable, "-m", "code_interpreter", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert refused.returncode == 2 and "loopback only" in refused.stderr


def test_sigterm_finishes_in_flight_requests_and_exits() -> None:
    port = free_port()
    env = {**os.environ, "CODE_INTERPRETER_API_KEYS": KEYS[0]}
    process = subprocess.Popen(
        [sys.executable, "-m", "code_interpreter", "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        results: list[httpx.Response] = []
        slow = {"code": "const t = Date.now(); while (Date.now() - t < 1000) {} return 'done'"}
        worker = threading.Thread(
            target=lambda: results.append(
                httpx.post(
                    f"{url}/api/execute",
                    json=slow,
                    headers={"Authorization": f"Bearer {KEYS[0]}"},
                    timeout=30,
                )
            )
        )
        worker.start()
        time.sleep(0.4)
        process.send_signal(signal.SIGTERM)
        worker.join(30)
        # uvicorn drains, then exits by the signal it caught, as a process killed by it would.
        assert process.wait(30) in (0, -signal.SIGTERM)
        assert results and results[0].status_code == 200
        assert json.loads(results[0].text)["result"] == "done"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
