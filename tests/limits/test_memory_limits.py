from __future__ import annotations

import gc
import sys
import time

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import MemoryLimitExceeded, create_sandbox


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


BOMBS = {
    "array growth": "const a = []; while (true) a.push(new Array(1000).fill(1.5))",
    # V8 13.6's Turboshaft compiled this loop without an interrupt check (platform.cc).
    "holey array growth": "const a = []; while (true) a.push(new Array(1000))",
    "string doubling": (
        "let s = 'x'; const keep = []; while (true) { s = s + s; keep.push(s.slice(1)) }"
    ),
    "arraybuffer growth": "const k = []; while (true) k.push(new ArrayBuffer(1 << 20))",
    "typed array in one piece": "new Float64Array(1 << 28)",
    "map growth": "const m = new Map(); let i = 0; while (true) m.set(i++, {i})",
}


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize("code", BOMBS.values(), ids=BOMBS.keys())
def test_memory_bomb_raises_and_the_sandbox_recovers(code: str) -> None:
    with create_sandbox(memory_limit_mb=32, max_execution_time=10_000) as box:
        with pytest.raises(MemoryLimitExceeded, match="32 MB"):
            box.interpret(code)
        assert box.interpret("[1, 2, 3].length") == "3"


def test_arraybuffer_bomb_is_not_catchable_by_the_script() -> None:
    code = """
        const k = [];
        try { while (true) k.push(new ArrayBuffer(1 << 20)) } catch (e) { 'caught' }
    """
    with create_sandbox(memory_limit_mb=16) as box, pytest.raises(MemoryLimitExceeded):
        box.interpret(code)


def test_two_hundred_bombs_in_a_row_leave_the_process_healthy() -> None:
    kinds = list(BOMBS.values())[:3]
    with create_sandbox(memory_limit_mb=16, max_execution_time=10_000) as box:
        for i in range(20):  # warm-up: allocator arenas and V8's process-wide state settle
            with pytest.raises(MemoryLimitExceeded):
                box.interpret(kinds[i % 3])
        gc.collect()
        baseline = rss_mb()
        started = time.monotonic()
        for i in range(180):
            with pytest.raises(MemoryLimitExceeded):
                box.interpret(kinds[i % 3])
        elapsed = time.monotonic() - started
        assert box.interpret("'alive'") == "alive"
        assert box._native.stats()["isolates_replaced"] == 200
    gc.collect()
    grown = rss_mb() - baseline
    assert grown < 100, f"RSS grew {grown:.0f} MB over 180 bombs ({elapsed:.1f} s)"
