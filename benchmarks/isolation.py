"""What process isolation costs beside the default mode, for what compare.py does not measure:
a sandbox's start (created with pre_warm=1, then its first call) and the memory an isolate adds,
in the caller's process (default mode) and as a worker process.

    .venv/bin/python benchmarks/isolation.py [--starts N] [--isolates N] [--smoke] [--json PATH]

Memory is private memory (Private_Clean + Private_Dirty of /proc/<pid>/smaps_rollup): what the
isolate costs the machine, the libraries' pages that processes share left out. In the default
mode it is what the caller's process gains per sandbox, over N sandboxes made after a first
(whose making starts V8's process-wide parts); in process mode, each worker's own, the median
over N workers, and the first worker apart: it is started before the zygote that forks the
others is up. A worker's channel (the rings its messages cross, shared with the caller) is in
neither's private memory: its resident part is reported beside. Each side runs in a child Python
process of its own, so neither sees the other.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve()


def private_mb(pid: int | str = "self") -> float:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value)
    return (fields["Private_Clean"] + fields["Private_Dirty"]) / 1024


def channel_mb(pid: int) -> float:
    """The resident part of a worker's channel memory (a memfd both sides map)."""
    resident = 0
    inside = False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        if line[:1] in "0123456789abcdef" and "-" in line.split(" ", 1)[0]:
            inside = "code-interpreter-channel" in line
        elif inside and line.startswith("Rss:"):
            resident += int(line.split()[1])
    return resident / 1024


def measure(isolation: str, starts: int, isolates: int) -> dict[str, Any]:
    """In the child process: start times, then memory, for one isolation mode."""
    from code_interpreter import create_sandbox

    def started() -> Any:
        sandbox = create_sandbox(isolation=isolation, pre_warm=1, worker_pool_size=1)
        assert sandbox.interpret("1 + 1") == "2"
        return sandbox

    started().kill()  # V8's process-wide start, and process mode's zygote, are behind us
    times = []
    for _ in range(starts):
        begun = time.perf_counter()
        sandbox = started()
        times.append((time.perf_counter() - begun) * 1e3)
        sandbox.kill()
    figures: dict[str, Any] = {"start_ms": statistics.median(times)}
    before = private_mb()
    sandboxes = [started() for _ in range(isolates)]
    time.sleep(0.2)  # the workers' last pages settle
    if isolation == "thread":
        figures["per_isolate_mb"] = (private_mb() - before) / isolates
    else:
        workers = [s.get_status()["isolation"]["workers"][0]["pid"] for s in sandboxes]
        figures["per_isolate_mb"] = statistics.median(private_mb(pid) for pid in workers)
        figures["channel_mb"] = statistics.median(channel_mb(pid) for pid in workers)
        figures["parent_per_sandbox_mb"] = (private_mb() - before) / isolates
    for sandbox in sandboxes:
        sandbox.kill()
    return figures


def first_worker_mb() -> float:
    """In the child process: the private memory of the first worker, the one not forked."""
    from code_interpreter import create_sandbox

    with create_sandbox(isolation="process", pre_warm=1, worker_pool_size=1) as sandbox:
        sandbox.interpret("1 + 1")
        time.sleep(0.2)
        return private_mb(sandbox.get_status()["isolation"]["workers"][0]["pid"])


def in_child(*arguments: str) -> Any:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--child", *arguments],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=30, help="sandbox starts timed (30)")
    parser.add_argument("--isolates", type=int, default=10, help="isolates measured (10)")
    parser.add_argument("--smoke", action="store_true", help="3 starts, 2 isolates")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child[0] == "first-worker":
            print(json.dumps(first_worker_mb()))
        else:
            isolation, starts, isolates = args.child
            print(json.dumps(measure(isolation, int(starts), int(isolates))))
        return
    starts, isolates = (3, 2) if args.smoke else (args.starts, args.isolates)
    figures = {mode: in_child(mode, str(starts), str(isolates)) for mode in ("thread", "process")}
    figures["process"]["first_worker_mb"] = in_child("first-worker")
    thread, process = figures["thread"], figures["process"]
    figures["start_ratio"] = process["start_ms"] / thread["start_ms"]
    figures["memory_ratio"] = process["per_isolate_mb"] / thread["per_isolate_mb"]
    print(f"start with pre_warm=1 and a first call, median of {starts}:")
    print(f"  thread {thread['start_ms']:.2f} ms, process {process['start_ms']:.2f} ms")
    print(f"  process / thread {figures['start_ratio']:.2f}")
    print(f"private memory per isolate ({isolates}):")
    print(f"  in the caller's process {thread['per_isolate_mb']:.2f} MB")
    print(
        f"  a worker {process['per_isolate_mb']:.2f} MB (the first, not forked: "
        f"{process['first_worker_mb']:.2f} MB), the caller's process "
        f"{process['parent_per_sandbox_mb']:.2f} MB more per sandbox"
    )
    print(f"  worker / in-process isolate {figures['memory_ratio']:.2f}")
    print(f"  a worker's channel, shared with the caller: {process['channel_mb']:.2f} MB resident")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
