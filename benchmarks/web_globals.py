"""What the web platform globals cost: the per-call time of a few calls inside one execution,
ours against Node's on the same machine in the same run (Node from PATH), and what a fresh
execution that first touches a global pays for building it.

    .venv/bin/python benchmarks/web_globals.py [--rounds N] [--calls N] [--json PATH]

Prints medians (ns per call inside JS; us per execution) and our time / Node's time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
from typing import Any

from code_interpreter import create_sandbox
from compare import per_call_us

# Each is a statement run `calls` times in a loop; `sink` keeps its result alive.
CALLS = {
    "URL + searchParams.get": "sink = new URL('https://a.b/c?d=1').searchParams.get('d')",
    "TextEncoder.encode (16 chars)": "sink = encoder.encode('hello, world 16')",
    "TextDecoder.decode (16 bytes)": "sink = decoder.decode(bytes)",
    "btoa (12 chars)": "sink = btoa('hello world!')",
    "structuredClone (small object)": "sink = structuredClone({a: [1, 2], b: 'x'})",
    "crypto.randomUUID": "sink = crypto.randomUUID()",
}
SETUP = (
    "const encoder = new TextEncoder(); const decoder = new TextDecoder();"
    "const bytes = encoder.encode('hello, world 16'); let sink;"
)
# A fresh execution (a new context each) that touches one group for the first time.
FIRST_TOUCH = {
    "1+1": "1 + 1",
    "globalThis.z = 1 (a new context, no web global)": "globalThis.z = 1",
    "typeof URL (builds the URL group)": "typeof URL",
    "new URL(...).href": "new URL('https://a.b/c').href",
    "new TextEncoder().encode('x')": "new TextEncoder().encode('x').length",
    "new EventTarget()": "typeof new EventTarget()",
}


def timed_loop(statement: str, calls: int) -> str:
    return (
        f"{SETUP} for (let i = 0; i < 1000; i++) {{ {statement} }}"
        f" const t0 = performance.now(); for (let i = 0; i < {calls}; i++) {{ {statement} }}"
        f" (performance.now() - t0) * 1e6 / {calls}"
    )


def ours_ns(statement: str, calls: int) -> float:
    with create_sandbox(security_level="moderate", max_execution_time=60_000) as box:
        return float(box.interpret(timed_loop(statement, calls)))


def node_ns(node: str, statement: str, calls: int) -> float:
    script = timed_loop(statement, calls)
    last = script.rindex(" (performance.now()")
    script = script[:last] + f" console.log({script[last + 1 :]})"
    run = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True)
    return float(run.stdout.strip())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--budget", type=float, default=0.5, help="seconds per first-touch figure")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    node = shutil.which("node")
    results: dict[str, Any] = {"per_call_ns": {}, "first_touch_us": {}}
    print(f"{'per call, inside one execution':34} {'ours ns':>10} {'Node ns':>10} {'ratio':>7}")
    for name, statement in CALLS.items():
        ours = statistics.median(ours_ns(statement, args.calls) for _ in range(args.rounds))
        theirs = (
            statistics.median(node_ns(node, statement, args.calls) for _ in range(args.rounds))
            if node
            else float("nan")
        )
        results["per_call_ns"][name] = {"ours": ours, "node": theirs}
        print(f"{name:34} {ours:10.0f} {theirs:10.0f} {ours / theirs:7.2f}")
    print(f"\n{'a fresh execution':48} {'us':>10}")
    with create_sandbox(security_level="moderate") as box:
        for name, code in FIRST_TOUCH.items():
            figure = statistics.median(
                per_call_us(lambda code=code: box.interpret(code), args.budget)
                for _ in range(args.rounds)
            )
            results["first_touch_us"][name] = figure
            print(f"{name:48} {figure:10.1f}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
