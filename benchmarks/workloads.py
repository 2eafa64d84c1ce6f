"""The JavaScript every engine runs in benchmarks/compare.py, and the helpers engines use to
time limits and memory bombs."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

W1 = "Math.sqrt(16) + 5"
W2 = "[1,2,3,4,5].reduce((s,n)=>s+n*n,0)"
W3 = "Array.from({length:1000},(_, i)=>i).map(x=>x*2).filter(x=>x%3).reduce((a,b)=>a+b,0)"
W5 = "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) } fib(25)"
LOOP = "while(true){}"
BOMBS = {
    "array": "const a = []; while (true) a.push(new Array(1000).fill(1.5))",
    "arraybuffer": "const k = []; while (true) k.push(new ArrayBuffer(1 << 20))",
}
W4_DATA = {f"k{i}": {"id": i, "name": f"n{i}", "tags": ["a", "b"]} for i in range(1000)}
W4_JS_DIRECT = "const d = context.data; for (const k in d) d[k].seen = true; return d"
W4_JS_JSON = (
    "const d = JSON.parse(t); for (const k in d) d[k].seen = true; return JSON.stringify(d)"
)

# W10: JS -> Python -> JS. Each execution makes HOST_CALLS calls of a Python add(a, b).
HOST_CALLS = 1000
HOST_LOOP = f"let s = 0; for (let i = 0; i < {HOST_CALLS}; i++) s = add(s, 1); return s"


def add(a: Any, b: Any) -> Any:
    return a + b


Call = Callable[[], Any]


def overshoot_of(run: Callable[[], Any], limit_ms: float, stopped: type[BaseException]) -> float:
    """How far past `limit_ms` the endless loop `run` returns (raising `stopped`), in ms."""
    started = time.perf_counter()
    with contextlib.suppress(stopped):
        run()
    return (time.perf_counter() - started) * 1000 - limit_ms


def bomb_recovery(
    run_bomb: Callable[[], Any], run_after: Callable[[], bool], hit: type[BaseException]
) -> tuple[bool, float]:
    """Whether the bomb was stopped (raising `hit`) and the engine then ran `run_after` right,
    and the ms both took."""
    started = time.perf_counter()
    try:
        run_bomb()
        stopped = False
    except hit:
        stopped = True
    try:
        ok = stopped and run_after()
    except Exception:
        ok = False
    return ok, (time.perf_counter() - started) * 1000
