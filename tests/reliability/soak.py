"""Soak run: many executions, timeouts, memory-limit hits, sandbox create/kill cycles and
short-lived calling threads, with RSS, thread and file-descriptor counts sampled. Fails when
RSS grows past a bound after warm-up, or when threads or descriptors grow at all.

    python tests/reliability/soak.py            # the full run (ci/soak)
    python tests/reliability/soak.py --smoke    # a few seconds
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass, field

from code_interpreter import ExecutionTimeout, MemoryLimitExceeded, create_sandbox


@dataclass(frozen=True)
class SoakPlan:
    executions: int = 200_000
    timeouts: int = 2_000
    memory_hits: int = 1_000
    cycles: int = 100
    threads: int = 2_000
    max_rss_growth_mb: float = 50.0


SMOKE = SoakPlan(executions=3_000, timeouts=20, memory_hits=10, cycles=5, threads=20)


@dataclass
class Sample:
    phase: str
    rss_mb: float
    threads: int
    fds: int


@dataclass
class SoakReport:
    plan: SoakPlan
    samples: list[Sample] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def baseline(self) -> Sample:
        return self.samples[0]

    @property
    def final(self) -> Sample:
        return self.samples[-1]

    def problems(self) -> list[str]:
        found = []
        grown = self.final.rss_mb - self.baseline.rss_mb
        if grown > self.plan.max_rss_growth_mb:
            found.append(f"RSS grew {grown:.1f} MB after warm-up")
        for name in ("threads", "fds"):
            start, end = getattr(self.baseline, name), getattr(self.final, name)
            if end > start:
                found.append(f"{name} grew from {start} to {end}")
        return found


def sample(phase: str) -> Sample:
    gc.collect()
    rss_kb = 0
    threads = 0
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return Sample(phase, rss_kb / 1024, threads, len(os.listdir("/proc/self/fd")))


BOMB = "const a = []; while (true) a.push(new Array(1000).fill(1.5))"


def run_phases(plan: SoakPlan, report: SoakReport, scale: float) -> None:
    def timed(name: str, work: object) -> None:
        started = time.perf_counter()
        work()  # type: ignore[operator]
        report.seconds[name] = report.seconds.get(name, 0.0) + time.perf_counter() - started

    def executions() -> None:
        with create_sandbox(max_execution_time=5000) as box:
            for i in range(int(plan.executions * scale)):
                if box.interpret("context.i * 2", {"i": i}, return_raw_result=True) != i * 2:
                    raise AssertionError(f"wrong result at execution {i}")

    def timeouts() -> None:
        with create_sandbox(max_execution_time=5000) as box:
            for _ in range(int(plan.timeouts * scale)):
                try:
                    box.interpret("while (true) {}", timeout=2)
                except ExecutionTimeout:
                    continue
                raise AssertionError("a loop did not time out")

    def memory_hits() -> None:
        with create_sandbox(memory_limit_mb=16, max_execution_time=10_000) as box:
            for _ in range(int(plan.memory_hits * scale)):
                try:
                    box.interpret(BOMB)
                except MemoryLimitExceeded:
                    continue
                raise AssertionError("a bomb did not hit the memory limit")

    def cycles() -> None:
        for _ in range(int(plan.cycles * scale)):
            box = create_sandbox(max_concurrent_executions=2)
            box.interpret("1 + 1")
            box.kill(graceful=False)

    def threads() -> None:
        # Each thread calls often enough to park its V8 state on the shared isolate, then exits
        # (giving it back); every tenth also leaves a sandbox of its own for another thread to
        # kill (its parked state orphaned, up to the process's cap).
        shared = create_sandbox(persistent_context=True, max_concurrent_executions=2)
        try:
            for index in range(int(plan.threads * scale)):
                own = create_sandbox(persistent_context=True) if index % 10 == 0 else None

                def calls(own: object = own) -> None:
                    for box in (shared, own):
                        for i in range(40):
                            if box is not None and box.interpret(f"{i} * 2") != str(i * 2):
                                raise AssertionError("wrong result in a calling thread")

                thread = threading.Thread(target=calls)
                thread.start()
                thread.join()
                if own is not None:
                    own.kill()
        finally:
            shared.kill()

    timed("executions", executions)
    timed("timeouts", timeouts)
    timed("memory_hits", memory_hits)
    timed("cycles", cycles)
    timed("threads", threads)


def soak(plan: SoakPlan, log: bool = False) -> SoakReport:
    report = SoakReport(plan)
    # Warm-up: a tenth of every phase, so allocator arenas and V8's process-wide state settle.
    run_phases(plan, report, 0.1)
    report.seconds.clear()
    report.samples.append(sample("after warm-up"))
    for round_ in range(1, 4):
        run_phases(plan, report, 1 / 3)
        report.samples.append(sample(f"round {round_}"))
        if log:
            print(json.dumps(asdict(report.samples[-1])), flush=True)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few-second run")
    args = parser.parse_args()
    plan = SMOKE if args.smoke else SoakPlan()
    started = time.perf_counter()
    report = soak(plan, log=True)
    elapsed = time.perf_counter() - started
    rate = plan.executions / report.seconds["executions"]
    print(
        f"plan {asdict(plan)}\n"
        f"RSS {report.baseline.rss_mb:.1f} MB after warm-up -> {report.final.rss_mb:.1f} MB; "
        f"threads {report.baseline.threads} -> {report.final.threads}; "
        f"fds {report.baseline.fds} -> {report.final.fds}\n"
        f"{rate:,.0f} fresh-context executions/s; phase seconds "
        f"{ {k: round(v, 1) for k, v in report.seconds.items()} }; total {elapsed:.0f} s"
    )
    problems = report.problems()
    for problem in problems:
        print("FAIL:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
