"""Load benchmark of the HTTP service against an Express app with the same execution path (on
Node's `vm` module: express_app.js), both on loopback, the same JavaScript and the same load
client, in one run: throughput and p50/p99 latency at each concurrency.

    .venv/bin/python benchmarks/service/load.py [--seconds S] [--concurrency 8,16] [--smoke]
    .venv/bin/python benchmarks/service/load.py --attack all [--seconds S] [--concurrency 8]

Needs express (ci/npm-packages fetches it) and node. Prints a table and the ratio of our
throughput to Express's at each concurrency.

With --attack, only this service, and ordinary requests measured without an attack and then
while one runs from another process and client address: `slow-headers` holds up to 10,010
connections whose request heads never end (a byte every 2 s; a dropped one reconnects after
5 s), `large-bodies` has four clients post 10.2 MB bodies of `[],[],...` without pause
(as user "attacker": sharing the ordinary requests' sandbox, they would queue behind its
executions, which is not what is measured here).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NPM = ROOT / ".deps" / "npm"
CODE = "context.items.map((x) => x * 2).filter((x) => x % 3).reduce((a, b) => a + b, 0)"
BODY = json.dumps({"code": CODE, "context": {"items": list(range(100))}}).encode()
EXPECTED = str(sum(x for x in (i * 2 for i in range(100)) if x % 3))
ATTACKER = "127.0.0.2"  # loopback, but another client address than the ordinary load's
SLOW_CONNECTIONS = 10_010
LARGE_BODY = (
    b'{"code": "1", "userId": "attacker", "context": {"a": [' + b"[]," * 3_399_999 + b"[]]}}"
)


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
    request = request_bytes(port)
    while time.perf_counter() < stop_at:
        # A connection the server closed (a refusal under attack) is an error, then a new one.
        writer = None
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
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
                ok = head.startswith(b"HTTP/1.1 200")
                if not ok or json.loads(body)["result"] != EXPECTED:
                    errors.append(head.split(b"\r\n", 1)[0].decode() + " " + body[:200].decode())
                if b"connection: close" in head.lower():
                    break
        except (OSError, asyncio.IncompleteReadError) as error:
            errors.append(f"connection: {error!r}"[:200])
            await asyncio.sleep(0.01)
        finally:
            if writer is not None:
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
        "max_ms": ordered[-1] * 1000 if ordered else 0.0,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


async def slow_head(port: int, stop_at: float) -> None:
    """One connection at a time whose request head never ends, for as long as the attack."""
    while time.perf_counter() < stop_at:
        writer = None
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(ATTACKER, 0)
            )
            writer.write(f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())
            while time.perf_counter() < stop_at and not reader.at_eof():
                await writer.drain()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(reader.read(65536), 2)
                writer.write(b"X")
        except OSError:
            pass
        finally:
            if writer is not None:
                writer.close()
        await asyncio.sleep(5)


async def large_body(port: int, stop_at: float, answers: Counter[str]) -> None:
    """Posts LARGE_BODY again and again, each as soon as the last is answered."""
    request = (
        f"POST /api/execute HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(LARGE_BODY)}\r\n\r\n"
    ).encode() + LARGE_BODY
    while time.perf_counter() < stop_at:
        writer = None
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(ATTACKER, 0)
            )
            while time.perf_counter() < stop_at:
                writer.write(request)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                answers[head.split(b" ", 2)[1].decode()] += 1
        except (OSError, asyncio.IncompleteReadError):
            await asyncio.sleep(0.1)
        finally:
            if writer is not None:
                writer.close()


def attack(kind: str, port: int, seconds: float) -> None:
    """Runs the attack `kind` for `seconds` (in a process of its own)."""
    stop_at = time.perf_counter() + seconds
    answers: Counter[str] = Counter()

    async def run() -> None:
        if kind == "slow-headers":
            await asyncio.gather(*(slow_head(port, stop_at) for _ in range(SLOW_CONNECTIONS)))
        else:
            await asyncio.gather(*(large_body(port, stop_at, answers) for _ in range(4)))

    asyncio.run(run())
    if answers:
        print(f"{kind}: the attack's answers by status: {dict(sorted(answers.items()))}")


def under_attack(
    port: int, kinds: list[str], levels: list[int], seconds: float
) -> dict[str, dict[int, dict[str, Any]]]:
    """Ordinary load without an attack, then during each attack in `kinds`."""
    results = {"none": {c: asyncio.run(load(port, c, seconds)) for c in levels}}
    context = multiprocessing.get_context("spawn")
    ramp = 5.0  # the attack's connections open, and its first bodies arrive, before measuring
    for kind in kinds:
        attacker = context.Process(
            target=attack, args=(kind, port, ramp + (seconds + 1) * len(levels) + 5)
        )
        attacker.start()
        try:
            time.sleep(ramp)
            results[kind] = {c: asyncio.run(load(port, c, seconds)) for c in levels}
        finally:
            attacker.join(ramp + (seconds + 1) * len(levels) + 35)
            if attacker.is_alive():
                attacker.terminate()
                attacker.join(30)
        time.sleep(12)  # the server drops what the attack left (header timeout: 10 s)
    return results


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
    parser.add_argument(
        "--attack",
        choices=["slow-headers", "large-bodies", "all"],
        help="this service only: ordinary requests without, then during, the attack",
    )
    args = parser.parse_args(argv)
    seconds, levels = (
        (1.0, [2]) if args.smoke else (args.seconds, [int(c) for c in args.concurrency.split(",")])
    )
    if args.attack:
        kinds = ["slow-headers", "large-bodies"] if args.attack == "all" else [args.attack]
        port = free_port()
        process = start_ours(port)
        try:
            wait_ready(port, process)
            by_attack = under_attack(port, kinds, levels, seconds)
        finally:
            process.terminate()
            process.wait(30)
        print(
            f"{'attack':13} {'clients':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'max ms':>8} {'errors':>6}"
        )
        for kind, by_level in by_attack.items():
            for level, r in by_level.items():
                print(
                    f"{kind:13} {level:7d} {r['throughput']:9.0f} {r['p50_ms']:8.2f} "
                    f"{r['p99_ms']:8.2f} {r['max_ms']:8.0f} {r['errors']:6d}  "
                    f"{r['first_error'] or ''}"
                )
        if args.json:
            Path(args.json).write_text(json.dumps(by_attack, indent=2))
        return 0
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
