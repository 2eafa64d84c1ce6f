"""Instructions per call, ours against V8 alone (build/fresh_floor, from ci/fresh-floor's
probe), counted with callgrind: the floor comparison of the README that time cannot give on a
noisy machine. Each side runs the same JavaScript N1 and N2 times in a new process; the
difference of the two counts over N2 - N1 is one call, start-up and the first N1 calls excluded
alike on both sides (for the fresh row, N1 is past our default mode's first calls: its standby
isolate, the recycled context's first attempts).

    ci/instruction-floor [--repeats R] [--json PATH]   every row, R times (3: about three minutes)
    .venv/bin/python benchmarks/instruction_floor.py --smoke  each row once on both sides, uncounted

Run through ci/instruction-floor, which builds the probe first. "Ours" is the package this
Python imports. Each row is counted R times, on both sides, and the median and the range are
reported: background threads (ours: the watchdog, the context preparer) make counts of one build
differ slightly from run to run.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "build" / "fresh_floor"
# A write to the global object: a fresh-mode call then always takes a new context, as the probe's
# rows do (the recycled context declines it; under valgrind it would accept plain W3, which real
# time refuses: see the README).
GLOBAL_WRITE = "globalThis.z = 1; "


@dataclass(frozen=True)
class Row:
    label: str
    probe: str  # fresh_floor's name for the same work
    workload: str  # a name in workloads.py
    persistent: bool
    counts: tuple[int, int]  # N1, N2


# Rows whose counts repeat. Code that TurboFan optimizes during the counted calls (W3 and W5
# persistent, fib(25) in a new context) is left out: when the optimized code arrives depends on
# how valgrind, which runs one thread at a time, schedules V8's compile jobs, and such counts
# of one build swung from 5 M to 51 M per call between runs. ci/fresh-floor times those.
ROWS = (
    Row("W1 persistent", "w1-parked", "W1", True, (2000, 6000)),
    Row("W3f: a new context and W3", "w3f", "W3", False, (20, 50)),
)


def run_calls(workload: str, persistent: bool, calls: int) -> None:
    """The counted process on our side: one sandbox, `calls` executions of the workload."""
    import code_interpreter
    import workloads

    code = getattr(workloads, workload)
    if not persistent:
        code = GLOBAL_WRITE + code
    sandbox = code_interpreter.create_sandbox(
        max_execution_time=60_000, persistent_context=persistent
    )
    try:
        for _ in range(calls):
            sandbox.interpret(code)
    finally:
        sandbox.kill()


def instructions(command: list[str]) -> int:
    """Instructions callgrind counted over the whole of `command`."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr) or re.search(
        r"refs:\s+([\d,]+)", done.stderr
    )
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_call(
    command_for: dict[int, list[str]], counts: tuple[int, int], repeats: int
) -> list[float]:
    """One figure per repeat: the two counts' difference over the difference of their calls."""
    low, high = counts
    return sorted(
        (instructions(command_for[high]) - instructions(command_for[low])) / (high - low)
        for _ in range(repeats)
    )


def ours_command(row: Row, calls: int) -> list[str]:
    mode = "persistent" if row.persistent else "fresh"
    return [sys.executable, __file__, "--calls", row.workload, mode, str(calls)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--repeats", type=int, default=3, help="counts per row and side (3)")
    parser.add_argument(
        "--smoke", action="store_true", help="each row once on both sides, uncounted"
    )
    parser.add_argument(
        "--calls", nargs=3, metavar=("WORKLOAD", "MODE", "N"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.calls:
        workload, mode, calls = args.calls
        run_calls(workload, mode == "persistent", int(calls))
        return
    if not PROBE.exists():
        sys.exit(f"no {PROBE}: run ci/instruction-floor, which builds it")
    if args.smoke:
        for row in ROWS:
            subprocess.run([str(PROBE), row.probe, "1"], check=True)
            subprocess.run(ours_command(row, 1), check=True)
            print(f"{row.label}: both sides ran")
        if args.json:
            args.json.write_text(json.dumps({"rows_run": [row.label for row in ROWS]}) + "\n")
        return
    figures = {}
    print(f"instructions per call, median (range) of {args.repeats}")
    print(f"{'':<34} {'V8 alone':>28} {'ours':>28} {'ours/V8':>8}")
    for row in ROWS:
        alone = per_call(
            {n: [str(PROBE), row.probe, str(n)] for n in row.counts}, row.counts, args.repeats
        )
        ours = per_call({n: ours_command(row, n) for n in row.counts}, row.counts, args.repeats)
        figures[row.label] = {"v8_alone": alone, "ours": ours, "counts": row.counts}
        ratio = statistics.median(ours) / statistics.median(alone)
        print(f"{row.label:<34} {spread(alone):>28} {spread(ours):>28} {ratio:>8.3f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


def spread(figures: list[float]) -> str:
    return f"{statistics.median(figures):,.0f} ({figures[0]:,.0f}-{figures[-1]:,.0f})"


if __name__ == "__main__":
    main()
