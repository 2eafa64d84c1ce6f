"""What a ClusterSandbox on a local Ray cluster gives against one sandbox in this process, in
one run, rounds interleaved (this machine's speed drifts):

- heavy work: N executions of fib(27), as one `interpret_many` batch and as N `submit`s all in
  flight, on `--workers` workers against one in-process sandbox's `interpret_many`;
- the round trip of a trivial call (`1+1`): cluster `interpret` against in-process;
- the crossover: executions of a loop of growing length, each submitted on its own (all in
  flight), and the least work per call (its in-process time) from which the cluster's
  throughput beats the in-process sandbox's.

    .venv/bin/python benchmarks/cluster.py [--workers 2] [--rounds 5] [--smoke] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import ray

from code_interpreter import create_sandbox
from code_interpreter.distributed import ClusterSandbox

FIB = "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) } fib({n})"


LOOP = "let s = 0; for (let i = 0; i < {n}; i++) s += i % 7; s"


def fib(n: int) -> str:
    return FIB.replace("{n}", str(n))


def loop(n: int) -> str:
    return LOOP.replace("{n}", str(n))


def seconds(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def interleaved(rounds: int, runs: dict[str, Callable[[], Any]]) -> dict[str, float]:
    """The median wall time of each run over `rounds`, the runs taking turns in each round."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():
        run()  # warm-up: compilation, tier-up, worker start
    for _ in range(rounds):
        for name, run in runs.items():
            times[name].append(seconds(run))
    return {name: statistics.median(values) for name, values in times.items()}


def submit_all(cluster: ClusterSandbox, codes: list[str]) -> list[Any]:
    futures = [cluster.submit(code) for code in codes]
    return [future.result() for future in futures]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--heavy", type=int, default=100, help="fib(27) executions per round")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check it runs")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    rounds, heavy, trivial_calls = args.rounds, args.heavy, 300
    ladder = [0, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000]
    if args.smoke:
        rounds, heavy, trivial_calls, ladder = 1, 4, 10, [0, 10_000]

    ray.init(
        address="local", num_cpus=args.workers, include_dashboard=False, configure_logging=False
    )
    local = create_sandbox(max_execution_time=600_000)
    cluster = ClusterSandbox(workers=args.workers, max_execution_time=600_000)
    figures: dict[str, Any] = {"workers": args.workers, "rounds": rounds}
    try:
        heavy_codes = [fib(27)] * heavy
        medians = interleaved(
            rounds,
            {
                "in_process": lambda: local.interpret_many(heavy_codes),
                "cluster_batch": lambda: cluster.interpret_many(heavy_codes),
                "cluster_submit": lambda: submit_all(cluster, heavy_codes),
            },
        )
        figures["heavy_s"] = medians
        figures["heavy_speedup_batch"] = medians["in_process"] / medians["cluster_batch"]
        figures["heavy_speedup_submit"] = medians["in_process"] / medians["cluster_submit"]

        trivial = interleaved(
            rounds,
            {
                "in_process": lambda: [local.interpret("1+1") for _ in range(trivial_calls)],
                "cluster": lambda: [cluster.interpret("1+1") for _ in range(trivial_calls)],
            },
        )
        figures["trivial_us"] = {k: v / trivial_calls * 1e6 for k, v in trivial.items()}

        crossover: list[dict[str, float]] = []
        for n in ladder:
            code = loop(n)
            # About 0.3 s of in-process work per round.
            once = seconds(lambda code=code: local.interpret(code))
            calls = max(20, min(5000, int(0.3 / max(once, 1e-5))))
            codes = [code] * calls
            step = interleaved(
                rounds,
                {
                    "in_process": lambda codes=codes: local.interpret_many(codes),
                    "cluster_submit": lambda codes=codes: submit_all(cluster, codes),
                },
            )
            crossover.append(
                {
                    "loop": n,
                    "calls": calls,
                    "in_process_ms_per_call": step["in_process"] / calls * 1e3,
                    "cluster_ms_per_call": step["cluster_submit"] / calls * 1e3,
                    "speedup": step["in_process"] / step["cluster_submit"],
                }
            )
        figures["crossover"] = crossover
        paying = [row for row in crossover if row["speedup"] > 1.0]
        figures["pays_from"] = paying[0] if paying else None
    finally:
        cluster.kill()
        local.kill()
        ray.shutdown()

    heavy_s = figures["heavy_s"]
    print(f"fib(27) x {heavy}, {args.workers} workers, median of {rounds} rounds:")
    print(f"  in-process interpret_many  {heavy_s['in_process'] * 1e3:9.1f} ms")
    print(
        f"  cluster interpret_many     {heavy_s['cluster_batch'] * 1e3:9.1f} ms"
        f"  ({figures['heavy_speedup_batch']:.2f}x)"
    )
    print(
        f"  cluster submit, all in flight {heavy_s['cluster_submit'] * 1e3:6.1f} ms"
        f"  ({figures['heavy_speedup_submit']:.2f}x)"
    )
    trivial_us = figures["trivial_us"]
    print(
        f"trivial call round trip: in-process {trivial_us['in_process']:.1f} us, "
        f"cluster {trivial_us['cluster']:.0f} us"
    )
    print(f"crossover ({LOOP!r}, each call submitted on its own, all in flight):")
    for row in crossover:
        print(
            f"  loop {row['loop']:7d}: in-process {row['in_process_ms_per_call']:8.3f} ms/call, "
            f"cluster {row['cluster_ms_per_call']:8.3f} ms/call, speedup {row['speedup']:.2f}x"
        )
    pays = figures["pays_from"]
    if pays:
        print(
            f"the cluster pays from loop {pays['loop']}: "
            f"{pays['in_process_ms_per_call']:.2f} ms of work per call"
        )
    else:
        print("the cluster did not pay on this ladder")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
