"""Concurrency stress: Python threads and an asyncio loop mixing normal runs, timeouts,
memory bombs and kills against shared sandboxes. Every call must end in a value or one of
the typed outcomes; a call that never returns is reported with every thread's stack.

    python tests/reliability/stress.py --seconds 60 --threads 8   # ci/stress
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import faulthandler
import random
import sys
import threading
import time
from typing import Any

import code_interpreter
from code_interpreter import (
    ExecutionTimeout,
    MemoryLimitExceeded,
    SandboxKilled,
    create_sandbox,
)

WORK = {
    "value": ("let s = 0; for (let i = 0; i < 1e4; i++) s += i; s", "49995000"),
    "timeout": ("while (true) {}", None),
    "bomb": ("const a = []; while (true) a.push(new Array(1000).fill(1.5))", None),
    "raw": ("({a: [1, 2, {b: 'c'}]})", None),
}
TYPED = (ExecutionTimeout, MemoryLimitExceeded, SandboxKilled)
EXPECTED = {"value": (), "raw": (), "timeout": (ExecutionTimeout, SandboxKilled), "bomb": TYPED}


class Stress:
    def __init__(self, threads: int, seconds: float, seed: int = 0) -> None:
        self.threads = threads
        self.seconds = seconds
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.counts: collections.Counter[str] = collections.Counter()
        self.unexpected: list[str] = []
        self.boxes = [self._new_box() for _ in range(2)]

    @staticmethod
    def _new_box() -> Any:
        return create_sandbox(
            memory_limit_mb=32, max_execution_time=200, max_concurrent_executions=3
        )

    def record(self, kind: str, outcome: str, problem: str | None = None) -> None:
        with self.lock:
            self.counts[f"{kind}:{outcome}"] += 1
            if problem is not None:
                self.unexpected.append(problem)

    def one_call(self, rng: random.Random) -> None:
        kind = rng.choice(["value", "value", "raw", "timeout", "bomb", "kill"])
        slot = rng.randrange(len(self.boxes))
        box = self.boxes[slot]
        if kind == "kill":
            box.kill(graceful=rng.random() < 0.5)
            with self.lock:
                if self.boxes[slot] is box:
                    self.boxes[slot] = self._new_box()
            self.record("kill", "done")
            return
        code, expected = WORK[kind]
        try:
            value = box.interpret(code, return_raw_result=kind == "raw")
        except SandboxKilled:
            self.record(kind, "SandboxKilled")
            return
        except EXPECTED[kind] as error:
            self.record(kind, type(error).__name__)
            return
        except BaseException as error:
            self.record(kind, "unexpected", f"{kind}: {type(error).__name__}: {error}")
            return
        if kind == "raw" and value != {"a": [1, 2, {"b": "c"}]}:
            self.record(kind, "wrong", f"raw: wrong value {value!r}")
        elif kind == "value" and value != expected:
            self.record(kind, "wrong", f"value: wrong value {value!r}")
        elif kind in ("timeout", "bomb"):
            self.record(kind, "wrong", f"{kind}: returned {value!r}")
        else:
            self.record(kind, "ok")

    def worker(self, seed: int, until: float) -> None:
        rng = random.Random(seed)
        while time.monotonic() < until:
            self.one_call(rng)

    async def async_worker(self, until: float) -> None:
        create_async = getattr(code_interpreter, "create_async_sandbox", None)
        rng = random.Random(-1)
        if create_async is None:
            while time.monotonic() < until:
                await asyncio.to_thread(self.one_call, rng)
            return
        while time.monotonic() < until:
            async with await create_async(memory_limit_mb=32, max_execution_time=200) as box:
                for _ in range(20):
                    kind = rng.choice(["value", "timeout", "bomb"])
                    try:
                        value = await box.interpret(WORK[kind][0])
                    except EXPECTED[kind] as error:
                        self.record(f"async {kind}", type(error).__name__)
                        continue
                    except BaseException as error:
                        self.record(f"async {kind}", "unexpected", f"async {kind}: {error!r}")
                        continue
                    ok = kind == "value" and value == WORK["value"][1]
                    self.record(
                        f"async {kind}",
                        "ok" if ok else "wrong",
                        None if ok else f"async {kind}: {value!r}",
                    )

    def run(self) -> None:
        until = time.monotonic() + self.seconds
        hang_after = self.seconds + 60
        faulthandler.dump_traceback_later(hang_after, exit=True)
        try:
            threads = [
                threading.Thread(target=self.worker, args=(n, until), daemon=True)
                for n in range(self.threads)
            ]
            for thread in threads:
                thread.start()
            asyncio.run(self.async_worker(until))
            for thread in threads:
                thread.join(hang_after)
                if thread.is_alive():
                    self.unexpected.append("a worker thread never returned")
        finally:
            faulthandler.cancel_dump_traceback_later()
            for box in self.boxes:
                box.kill(graceful=False)


def stress(threads: int, seconds: float) -> Stress:
    run = Stress(threads, seconds)
    run.run()
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args(argv)
    started = time.monotonic()
    run = stress(args.threads, args.seconds)
    total = sum(run.counts.values())
    print(
        f"{total} calls in {time.monotonic() - started:.1f} s with {args.threads} threads + asyncio"
    )
    for key, count in sorted(run.counts.items()):
        print(f"  {key}: {count}")
    for problem in run.unexpected[:20]:
        print("FAIL:", problem)
    return 1 if run.unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
