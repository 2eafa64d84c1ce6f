"""Side-by-side benchmark: this package against its peers (mini-racer, quickjs, stpyv8), the
same JavaScript for all, in one process, rounds interleaved. Prints medians (us per call) and
our time / peer time ratios, and writes them as JSON.

    .venv/bin/python benchmarks/compare.py [--rounds N] [--smoke] [--json PATH]

Peers come from the ``bench`` extras; a peer that is not installed is reported as missing.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import statistics
import sys
import threading
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

Call = Callable[[], Any]


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


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


# -- engines ----------------------------------------------------------------------------------
class Ours:
    name = "ours"

    def __init__(self) -> None:
        import code_interpreter

        self.ci = code_interpreter
        self.fresh = code_interpreter.create_sandbox(max_execution_time=60_000)
        self.persistent = code_interpreter.create_sandbox(
            max_execution_time=60_000, persistent_context=True
        )

    def eval_call(self, code: str, mode: str) -> Call:
        box = self.persistent if mode == "persistent" else self.fresh
        interpret = box.interpret
        return lambda: interpret(code)

    def new_isolate_call(self) -> Call:
        def run() -> None:
            box = self.ci.create_sandbox()
            box.interpret("1+1")
            box.kill()

        return run

    def roundtrip_call(self, mode: str) -> Call:
        box = self.persistent if mode == "persistent" else self.fresh
        return lambda: box.interpret(W4_JS_DIRECT, {"data": W4_DATA}, return_raw_result=True)

    def overshoot_ms(self, limit_ms: float) -> float:
        return overshoot_of(
            lambda: self.fresh.interpret(LOOP, timeout=limit_ms), limit_ms, self.ci.ExecutionTimeout
        )

    def bomb(self, kind: str) -> tuple[bool, float]:
        box = self.ci.create_sandbox(memory_limit_mb=64, max_execution_time=30_000)
        result = bomb_recovery(
            lambda: box.interpret(BOMBS[kind]),
            lambda: box.interpret("1+1") == "2",
            self.ci.MemoryLimitExceeded,
        )
        box.kill()
        return result

    def thread_call(self) -> Call:
        box = self.ci.create_sandbox(max_execution_time=60_000, persistent_context=True)
        box.interpret("1")
        return lambda: box.interpret(W3)

    def idle_instance(self) -> Any:
        box = self.ci.create_sandbox()
        box.interpret("1")
        return box


class MiniRacerPeer:
    name = "mini-racer"

    def __init__(self) -> None:
        from py_mini_racer import MiniRacer

        self.MiniRacer = MiniRacer
        self.ctx = MiniRacer()
        self.ctx.eval(f"function w4(t) {{ {W4_JS_JSON} }}")

    def eval_call(self, code: str, mode: str) -> Call:
        return lambda: self.ctx.eval(code)

    def new_isolate_call(self) -> Call:
        def run() -> None:
            ctx = self.MiniRacer()
            ctx.eval("1+1")
            ctx.close()

        return run

    fresh_call = None  # mini-racer has no context without a new isolate: W6 uses new_isolate

    def roundtrip_call(self, mode: str) -> Call:
        text = json.dumps
        return lambda: json.loads(self.ctx.call("w4", text(W4_DATA)))

    def overshoot_ms(self, limit_ms: float) -> float:
        return overshoot_of(
            lambda: self.ctx.eval(LOOP, timeout_sec=limit_ms / 1000), limit_ms, Exception
        )

    def bomb(self, kind: str) -> tuple[bool, float]:
        ctx = self.MiniRacer()
        ctx.set_hard_memory_limit(64 << 20)
        result = bomb_recovery(
            lambda: ctx.eval(BOMBS[kind], timeout_sec=30), lambda: ctx.eval("1+1") == 2, Exception
        )
        ctx.close()
        return result

    def thread_call(self) -> Call:
        ctx = self.MiniRacer()
        return lambda: ctx.eval(W3)

    def idle_instance(self) -> Any:
        ctx = self.MiniRacer()
        ctx.eval("1")
        return ctx


class QuickJsPeer:
    name = "quickjs"

    def __init__(self) -> None:
        import quickjs

        self.quickjs = quickjs
        self.ctx = quickjs.Context()
        self.w4 = quickjs.Function("w4", f"function w4(t) {{ {W4_JS_JSON} }}")

    def eval_call(self, code: str, mode: str) -> Call:
        return lambda: self.ctx.eval(code)

    def fresh_call(self) -> Call:
        return lambda: self.quickjs.Context().eval("1+1")

    new_isolate_call = None

    def roundtrip_call(self, mode: str) -> Call:
        return lambda: json.loads(self.w4(json.dumps(W4_DATA)))

    def overshoot_ms(self, limit_ms: float) -> float:
        ctx = self.quickjs.Context()
        ctx.set_time_limit(limit_ms / 1000)
        return overshoot_of(lambda: ctx.eval(LOOP), limit_ms, Exception)

    def bomb(self, kind: str) -> tuple[bool, float]:
        ctx = self.quickjs.Context()
        ctx.set_memory_limit(64 << 20)
        return bomb_recovery(lambda: ctx.eval(BOMBS[kind]), lambda: ctx.eval("1+1") == 2, Exception)

    def thread_call(self) -> Call:
        ctx = self.quickjs.Context()
        return lambda: ctx.eval(W3)

    def idle_instance(self) -> Any:
        ctx = self.quickjs.Context()
        ctx.eval("1")
        return ctx


class StPyV8Peer:
    name = "stpyv8"

    def __init__(self) -> None:
        import STPyV8

        self.STPyV8 = STPyV8
        self.ctx = STPyV8.JSContext()
        self.ctx.enter()
        self.w4 = self.ctx.eval(f"(function w4(t) {{ {W4_JS_JSON} }})")

    def eval_call(self, code: str, mode: str) -> Call:
        return lambda: self.ctx.eval(code)

    def fresh_call(self) -> Call:
        def run() -> None:
            with self.STPyV8.JSContext() as ctx:
                ctx.eval("1+1")

        return run

    new_isolate_call = None

    def roundtrip_call(self, mode: str) -> Call:
        return lambda: json.loads(self.w4(json.dumps(W4_DATA)))

    overshoot_ms = None  # no execution time limit in its API
    bomb = None  # no memory limit in its API
    thread_call = None  # two threads crash it (known): not run

    def idle_instance(self) -> Any:
        ctx = self.STPyV8.JSContext()
        return ctx


PEERS = {"mini-racer": MiniRacerPeer, "quickjs": QuickJsPeer, "stpyv8": StPyV8Peer}


# -- measurement ------------------------------------------------------------------------------
def per_call_us(call: Call, budget_s: float) -> float:
    """Median-free single batch: as many calls as fit the budget, at least 3."""
    call()
    count = 0
    started = time.perf_counter()
    while True:
        call()
        count += 1
        elapsed = time.perf_counter() - started
        if (elapsed >= budget_s and count >= 3) or count >= 200_000:
            return elapsed / count * 1e6


def thread_scaling(factory: Callable[[], Call], seconds: float) -> float:
    """Calls per second with two threads over calls per second with one: the median of seven
    alternating measurements of each (this machine's speed drifts), on the same two warmed-up
    instances throughout (one per thread)."""
    calls = [factory() for _ in range(2)]
    for call in calls:  # past compilation and tier-up, as for the per-call figures
        for _ in range(200):
            call()

    def throughput(threads: int) -> float:
        counts = [0] * threads
        stop = time.perf_counter() + seconds
        barrier = threading.Barrier(threads)

        def worker(i: int) -> None:
            barrier.wait()
            while time.perf_counter() < stop:
                calls[i]()
                counts[i] += 1

        pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        return sum(counts) / seconds

    one: list[float] = []
    two: list[float] = []
    for _ in range(7):
        one.append(throughput(1))
        two.append(throughput(2))
    return statistics.median(two) / statistics.median(one)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--budget", type=float, default=0.25, help="seconds per measurement")
    parser.add_argument("--smoke", action="store_true", help="tiny run to check it works")
    parser.add_argument("--json", default="benchmarks/results.json")
    parser.add_argument("--peers", default=",".join(PEERS))
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.budget = 1, 0.01

    engines: dict[str, Any] = {"ours": Ours()}
    missing: dict[str, str] = {}
    for name in [p for p in args.peers.split(",") if p]:
        try:
            engines[name] = PEERS[name]()
        except Exception as error:  # not installed, or fails to start
            missing[name] = f"{type(error).__name__}: {error}"

    # (workload, engine, mode) -> list of per-round per-call us
    samples: dict[tuple[str, str, str], list[float]] = {}

    def add(workload: str, engine: str, mode: str, value: float) -> None:
        samples.setdefault((workload, engine, mode), []).append(value)

    modes = {"ours": ["fresh", "persistent"]}
    workloads: list[tuple[str, str | None]] = [
        ("W1", W1),
        ("W2", W2),
        ("W3", W3),
        ("W5", W5),
        ("W4", None),
    ]
    for round_index in range(args.rounds):
        # Each workload on every engine back to back, the engines in a rotating order: this
        # machine's speed drifts, and the ratios should not depend on who ran when.
        order = list(engines.items())
        shift = round_index % len(order)
        order = order[shift:] + order[:shift]
        for workload, code in workloads:
            for name, engine in order:
                for mode in modes.get(name, ["warm"]):
                    call = (
                        engine.roundtrip_call(mode)
                        if code is None
                        else engine.eval_call(code, mode)
                    )
                    add(workload, name, mode, per_call_us(call, args.budget))
        for name, engine in order:
            if name == "ours":
                add("W6", name, "fresh", per_call_us(engine.eval_call("1+1", "fresh"), args.budget))
            elif getattr(engine, "fresh_call", None):
                add("W6", name, "new context", per_call_us(engine.fresh_call(), args.budget))
            elif getattr(engine, "new_isolate_call", None):
                add("W6", name, "new isolate", per_call_us(engine.new_isolate_call(), args.budget))
            if name == "ours" or getattr(engine, "new_isolate_call", None):
                add("W6b", name, "new isolate", per_call_us(engine.new_isolate_call(), args.budget))
        gc.collect()
        print(f"round {round_index + 1}/{args.rounds} done", file=sys.stderr)

    medians = {key: statistics.median(values) for key, values in samples.items()}

    overshoot: dict[str, dict[str, float]] = {}
    bombs: dict[str, dict[str, Any]] = {}
    scaling: dict[str, float] = {}
    memory: dict[str, dict[str, float]] = {}
    tries = 3 if args.smoke else 20
    for name, engine in engines.items():
        if getattr(engine, "overshoot_ms", None):
            values = [engine.overshoot_ms(50) for _ in range(tries)]
            overshoot[name] = {"mean_ms": statistics.mean(values), "max_ms": max(values)}
        if getattr(engine, "bomb", None):
            bombs[name] = {}
            for kind in BOMBS:
                results = [engine.bomb(kind) for _ in range(1 if args.smoke else 3)]
                bombs[name][kind] = {
                    "all_recovered": all(ok for ok, _ in results),
                    "median_ms": statistics.median(ms for _, ms in results),
                }
        if getattr(engine, "thread_call", None):
            scaling[name] = thread_scaling(engine.thread_call, 0.05 if args.smoke else 0.5)
        gc.collect()
        before = rss_mb()
        instances = [engine.idle_instance() for _ in range(10)]
        memory[name] = {"per_instance_mb": (rss_mb() - before) / 10}
        del instances
        gc.collect()

    report = render(medians, overshoot, bombs, scaling, memory, missing)
    print(report)
    if args.json:
        os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
        with open(args.json, "w") as out:
            json.dump(
                {
                    "medians_us": {"|".join(key): value for key, value in medians.items()},
                    "overshoot": overshoot,
                    "memory_bombs": bombs,
                    "two_thread_scaling": scaling,
                    "memory": memory,
                    "missing_peers": missing,
                    "rounds": args.rounds,
                },
                out,
                indent=2,
            )
    return 0


def render(
    medians: dict[tuple[str, str, str], float],
    overshoot: dict[str, dict[str, float]],
    bombs: dict[str, dict[str, Any]],
    scaling: dict[str, float],
    memory: dict[str, dict[str, float]],
    missing: dict[str, str],
) -> str:
    lines = ["", "median us per call (lower is better); ratio = ours / peer", ""]
    workloads = sorted({w for w, _, _ in medians}, key=lambda w: (len(w), w))
    for workload in workloads:
        rows = {(e, m): v for (w, e, m), v in medians.items() if w == workload}
        ours = {m: v for (e, m), v in rows.items() if e == "ours"}
        lines.append(f"{workload}")
        for (engine, mode), value in sorted(rows.items()):
            text = f"  {engine:<11} {mode:<12} {value:12.2f}"
            if engine != "ours":
                ratios = ", ".join(f"{m} {o / value:.3f}" for m, o in sorted(ours.items()))
                text += f"   ratio: {ratios}"
            lines.append(text)
    lines.append("")
    lines.append(
        "W7 timeout overshoot, 50 ms limit (ms): "
        + "; ".join(
            f"{e} mean {v['mean_ms']:.2f} max {v['max_ms']:.2f}" for e, v in overshoot.items()
        )
    )
    for engine, kinds in bombs.items():
        lines.append(
            f"W8 memory bombs, {engine}: "
            + "; ".join(
                f"{k} recovered={v['all_recovered']} {v['median_ms']:.1f} ms"
                for k, v in kinds.items()
            )
        )
    lines.append(
        "W9 two threads / one thread throughput: "
        + "; ".join(f"{e} {v:.2f}x" for e, v in scaling.items())
    )
    lines.append(
        "RSS per idle instance (MB): "
        + "; ".join(f"{e} {v['per_instance_mb']:.1f}" for e, v in memory.items())
    )
    for engine, why in missing.items():
        lines.append(f"{engine}: missing ({why})")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
