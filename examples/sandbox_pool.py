"""A pool of sandboxes: reuse, a bounded size, waiting when all are busy, age-based cleanup."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from code_interpreter import Sandbox, create_sandbox


class SandboxPool:
    def __init__(self, pool_size: int = 5, max_age_s: float = 300.0) -> None:
        self.pool_size = pool_size
        self.max_age_s = max_age_s
        self.pool: list[Sandbox] = []
        self.busy: set[str] = set()
        self.born: dict[str, float] = {}
        self.created = 0
        self.reused = 0
        self._available = threading.Condition()

    def acquire(self) -> Sandbox:
        with self._available:
            while True:
                free = [s for s in self.pool if s.id not in self.busy and s.is_active]
                if free:
                    sandbox = free[0]
                    self.reused += 1
                    break
                if len(self.pool) < self.pool_size:
                    sandbox = create_sandbox(timeout_ms=self.max_age_s * 1000)
                    self.born[sandbox.id] = time.monotonic()
                    self.pool.append(sandbox)
                    self.created += 1
                    break
                self._available.wait()
            self.busy.add(sandbox.id)
            return sandbox

    def release(self, sandbox: Sandbox) -> None:
        with self._available:
            self.busy.discard(sandbox.id)
            if time.monotonic() - self.born[sandbox.id] > self.max_age_s:
                self._remove(sandbox)
            self._available.notify()

    def _remove(self, sandbox: Sandbox) -> None:
        self.pool.remove(sandbox)
        self.busy.discard(sandbox.id)
        sandbox.kill()

    def destroy(self) -> None:
        with self._available:
            for sandbox in list(self.pool):
                self._remove(sandbox)

    def get_stats(self) -> dict[str, Any]:
        return {
            "pool_size": len(self.pool),
            "busy_count": len(self.busy),
            "available_count": len(self.pool) - len(self.busy),
            "total_created": self.created,
            "total_reused": self.reused,
            "reuse_rate": self.reused / max(1, self.created + self.reused),
        }


def main() -> None:
    pool = SandboxPool(pool_size=3)

    def execute_with_pool(code: str) -> str:
        sandbox = pool.acquire()
        try:
            return str(sandbox.interpret(code))
        finally:
            pool.release(sandbox)

    with ThreadPoolExecutor(max_workers=6) as workers:
        results = list(workers.map(execute_with_pool, [f"{i} * {i}" for i in range(20)]))
    print(results)
    stats = pool.get_stats()
    print("created:", stats["total_created"], "reused:", stats["total_reused"])
    pool.destroy()


if __name__ == "__main__":
    main()
