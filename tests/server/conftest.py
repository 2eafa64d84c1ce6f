from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from code_interpreter.server import ServerSettings, create_app
from code_interpreter.server._protocol import ConnectionLimits
from code_interpreter.server._serve import uvicorn_config

KEYS = ("key-one-0123456789", "key-two-9876543210")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RunningServer:
    """A real uvicorn server on a loopback port, in a thread of this process, configured as
    `serve` configures it."""

    def __init__(self, settings: ServerSettings) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn_config(
            create_app(settings), ConnectionLimits(), port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)

    def client(self, key: str | None = KEYS[0]) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture
def serve() -> Iterator[Callable[..., RunningServer]]:
    servers: list[RunningServer] = []

    def start(**settings: Any) -> RunningServer:
        settings.setdefault("api_keys", KEYS)
        server = RunningServer(ServerSettings(**settings))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def server(serve: Callable[..., RunningServer]) -> RunningServer:
    return serve()


class ServedProcess:
    """`python -m code_interpreter serve` in a process of its own: what `serve` really runs
    (its HTTP protocol and limits), and a server whose memory is its own to measure."""

    def __init__(self, flags: tuple[str, ...], log: Path, keys: tuple[str, ...]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CODE_INTERPRETER_")}
        if keys:
            env["CODE_INTERPRETER_API_KEYS"] = ",".join(keys)
        self.log = log
        with log.open("wb") as stderr:
            command = [sys.executable, "-m", "code_interpreter", "serve", "--port", str(self.port)]
            self.process = subprocess.Popen(
                [*command, *flags],
                env=env,
                stderr=stderr,
            )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def peak_rss_bytes(self) -> int:
        """The process's peak resident set (VmHWM) so far."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmHWM")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def serve_process(tmp_path: Path) -> Iterator[Callable[..., ServedProcess]]:
    processes: list[ServedProcess] = []

    def start(*flags: str, keys: tuple[str, ...] = KEYS) -> ServedProcess:
        process = ServedProcess(flags, tmp_path / f"serve-{len(processes)}.log", keys)
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.stop()
