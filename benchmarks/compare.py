"""Side-by-side benchmark: this package against its peers (mini-racer, quickjs, stpyv8,
pythonmonkey), the same JavaScript for all, in one process, rounds interleaved. W3f and W5f give
every engine fresh state per call (our default mode; a new context or isolate for the peers).
W3L is the latency a service sees: W3 with 1 ms of idle time before each call, the median
of single calls (our two modes, the peers with fresh state per call).
W10 is one JS -> Python -> JS call of add(s, 1), timed over 1,000 in one execution (mini-racer's
host functions are async: awaited). Prints medians (us per call) and our time / peer time
ratios, and writes them as JSON.

    .venv/bin/python benchmarks/compare.py [--rounds N] [--smoke] [--json PATH]

Peers come from the ``bench`` extras; a peer that is not installed is reported as missing.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from peers import PEERS, Ours
from workloads import BOMBS, HOST_CALLS, W1, W2, W3, W5, Call


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


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


def latency_p50_us(call: Call, budget_s: float, idle_s: float = 0.001) -> float:
    """The median time of single calls, each after `idle_s` of idle time (a service's pace:
    what an engine can do between calls counts, what it does during them is paid)."""
    call()
    times = []
    for _ in range(max(5, int(budget_s / (idle_s + 0.0005)))):
        time.sleep(idle_s)
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


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
        # The clock starts once every thread is ready (starting threads on a busy machine can
        # take longer than a smoke run's whole measurement), and each thread makes one call at
        # least: a throughput is never zero.
        started: list[float] = []
        barrier = threading.Barrier(threads, action=lambda: started.append(time.perf_counter()))

        def worker(i: int) -> None:
            barrier.wait()
            while True:
                calls[i]()
                counts[i] += 1
                if time.perf_counter() >= started[0] + seconds:
                    break

        pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        return sum(counts) / (time.perf_counter() - started[0])

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
    parser.add_argument(
        "--process", action="store_true", help="also ours with isolation='process' (ours-process)"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.budget = 1, 0.01

    engines: dict[str, Any] = {"ours": Ours()}
    if args.process:
        engines["ours-process"] = Ours("process")
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

    modes = {"ours": ["fresh", "persistent"], "ours-process": ["fresh", "persistent"]}
    workloads: list[tuple[str, str | None]] = [
        ("W1", W1),
        ("W2", W2),
        ("W3", W3),
        ("W5", W5),
        ("W4", None),
    ]
    fresh_workloads = [("W3f", W3), ("W5f", W5)]
    host_calls: dict[str, Call] = {}
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
        for workload, code in fresh_workloads:
            for name, engine in order:
                if getattr(engine, "fresh_eval_call", None):
                    call = engine.fresh_eval_call(code)
                    add(workload, name, engine.fresh_mode, per_call_us(call, args.budget))
        for name, engine in order:
            if name.startswith("ours"):
                for mode in modes[name]:
                    call = engine.eval_call(W3, mode)
                    add("W3L", name, mode, latency_p50_us(call, args.budget))
            elif getattr(engine, "fresh_eval_call", None):
                call = engine.fresh_eval_call(W3)
                add("W3L", name, engine.fresh_mode, latency_p50_us(call, args.budget))
        for name, engine in order:
            if name.startswith("ours"):
                add("W6", name, "fresh", per_call_us(engine.eval_call("1+1", "fresh"), args.budget))
            elif getattr(engine, "fresh_call", None):
                add("W6", name, "new context", per_call_us(engine.fresh_call(), args.budget))
            elif getattr(engine, "new_isolate_call", None):
                add("W6", name, "new isolate", per_call_us(engine.new_isolate_call(), args.budget))
            if name.startswith("ours") or getattr(engine, "new_isolate_call", None):
                add("W6b", name, "new isolate", per_call_us(engine.new_isolate_call(), args.budget))
            if getattr(engine, "host_call", None):
                if name not in host_calls:
                    host_calls[name] = engine.host_call()
                per_execution = per_call_us(host_calls[name], args.budget)
                add("W10", name, "warm", per_execution / HOST_CALLS)
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
        if getattr(engine, "idle_instance", None):
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
        process = {m: v for (e, m), v in rows.items() if e == "ours-process"}
        lines.append(f"{workload}")
        for (engine, mode), value in sorted(rows.items()):
            text = f"  {engine:<12} {mode:<12} {value:12.2f}"
            if engine == "ours-process" and mode in ours:
                text += f"   over ours (thread): {value / ours[mode]:.3f}"
            elif engine != "ours":
                ratios = ", ".join(f"{m} {o / value:.3f}" for m, o in sorted(ours.items()))
                if process:
                    ratios += "; process " + ", ".join(
                        f"{m} {o / value:.3f}" for m, o in sorted(process.items())
                    )
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
