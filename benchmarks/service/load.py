"""Load benchmark of the HTTP service against the seed's Express integration (reduced to its
execution path on Node's `vm` module: express_app.js), both on loopback, the same JavaScript
and the same load client, in one run: throughput and p50/p99 latency at each concurrency.

    .venv/bin/python benchmarks/service/load.py [--seconds S] [--concurrency 8,16] [--smoke]

Needs express (ci/npm-packages fetches it) and node. Prints a table and the ratio of our
throughput to Express's at each concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NPM = ROOT / ".deps" / "npm"
CODE = "context.items.map((x) => x * 2).filter((x) => x % 3).reduce((a, b) => a + b, 0)"
BODY = json.dumps({"code": CODE, "context": {"items": list(range(100))}}).encode()
EXPECTED = str(sum(x for x in (i * 2 for i in range(100)) if x % 3))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def request_bytes(port: int) -> bytes:
    return (
        f"POST /api/execute HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY


async def client(port: int, stop_at: float, latencies: list[float], errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = request_bytes(port)
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200") or json.loads(body)["result"] != EXPECTED:
                errors.append(head.split(b"\r\n", 1)[0].decode() + " " + body[:200].decode())
    finally:
        writer.close()


async def load(port: int, concurrency: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    # A short warm-up, then the measured run.
    await asyncio.gather(
        *(client(port, time.perf_counter() + 0.3, [], []) for _ in range(concurrency))
    )
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(*(client(port, stop_at, latencies, errors) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)

    def percentile(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0

    return {
        "requests": len(latencies),
        "throughput": len(latencies) / elapsed,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def wait_ready(port: int, process: subprocess.Popen[bytes], deadline_s: float = 30) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def start_ours(port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "CODE_INTERPRETER_API_KEYS"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "code_interpreter",
            "serve",
            "--port",
            str(port),
            "--rate-limit",
            "100000000/1",
            "--workers",
            "4",
        ],
        env=env,
        stderr=subprocess.DEVNULL,
    )


def start_express(port: int) -> subprocess.Popen[bytes]:
    node = shutil.which("node")
    if node is None or not (NPM / "node_modules" / "express").is_dir():
        raise RuntimeError("node and express are needed: run ci/npm-packages")
    env = {**os.environ, "NODE_PATH": str(NPM / "node_modules")}
    return subprocess.Popen(
        [node, str(Path(__file__).with_name("express_app.js")), str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", default="8,16")
    parser.add_argument("--smoke", action="store_true", help="a one-second run at 2 clients")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    seconds, levels = (
        (1.0, [2]) if args.smoke else (args.seconds, [int(c) for c in args.concurrency.split(",")])
    )
    results: dict[str, dict[int, dict[str, Any]]] = {}
    for name, start in (("ours", start_ours), ("express", start_express)):
        port = free_port()
        process = start(port)
        try:
            wait_ready(port, process)
            results[name] = {c: asyncio.run(load(port, c, seconds)) for c in levels}
        finally:
            process.terminate()
            process.wait(30)
    print(f"{'server':8} {'clients':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for name, by_level in results.items():
        for level, r in by_level.items():
            print(
                f"{name:8} {level:7d} {r['throughput']:9.0f} {r['p50_ms']:8.2f} "
                f"{r['p99_ms']:8.2f} {r['errors']:6d}"
            )
    for level in levels:
        ratio = results["ours"][level]["throughput"] / results["express"][level]["throughput"]
        print(f"throughput ours / express at {level} clients: {ratio:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
