"""Core figures of this package alone: trivial eval (fresh and persistent context), sandbox
creation, timeout overshoot and memory-bomb recovery. Prints one line per figure.

    .venv/bin/python benchmarks/core_figures.py
"""

from __future__ import annotations

import contextlib
import statistics
import time

from code_interpreter import ExecutionTimeout, MemoryLimitExceeded, create_sandbox


def per_call_us(fn, calls: int) -> float:  # type: ignore[no-untyped-def]
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        rounds.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(rounds)


def main() -> None:
    with create_sandbox() as fresh, create_sandbox(persistent_context=True) as persistent:
        fresh.interpret("1")
        persistent.interpret("1")
        code = "Math.sqrt(16) + 5"
        fresh_us = per_call_us(lambda: fresh.interpret(code), 500)
        persistent_us = per_call_us(lambda: persistent.interpret(code), 20000)
        print(f"trivial eval, fresh context:      {fresh_us:9.1f} us")
        print(f"trivial eval, persistent context: {persistent_us:9.1f} us")

    def create_use_kill() -> None:
        box = create_sandbox()
        box.interpret("1")
        box.kill()

    print(f"sandbox create + first eval + kill: {per_call_us(create_use_kill, 20) / 1000:7.2f} ms")

    overshoots = []
    with create_sandbox(max_execution_time=100) as box:
        for _ in range(20):
            started = time.perf_counter()
            with contextlib.suppress(ExecutionTimeout):
                box.interpret("while (true) {}", timeout=50)
            overshoots.append((time.perf_counter() - started) * 1e3 - 50)
    print(
        f"timeout overshoot (50 ms limit, 20 tries): mean {statistics.mean(overshoots):.2f} ms,"
        f" max {max(overshoots):.2f} ms"
    )

    bombs = {
        "array": "const a = []; while (true) a.push(new Array(1000).fill(1.5))",
        "arraybuffer": "const k = []; while (true) k.push(new ArrayBuffer(1 << 20))",
    }
    with create_sandbox(memory_limit_mb=64, max_execution_time=10_000) as box:
        for name, bomb in bombs.items():
            hit, recover = [], []
            for _ in range(10):
                started = time.perf_counter()
                with contextlib.suppress(MemoryLimitExceeded):
                    box.interpret(bomb)
                hit.append((time.perf_counter() - started) * 1e3)
                started = time.perf_counter()
                box.interpret("1 + 1")
                recover.append((time.perf_counter() - started) * 1e3)
            print(
                f"memory bomb ({name}, 64 MB): limit hit after {statistics.median(hit):.1f} ms,"
                f" next call {statistics.median(recover):.2f} ms (new isolate)"
            )


if __name__ == "__main__":
    main()
