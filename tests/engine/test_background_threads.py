"""V8's background threads (compiling, collecting) per process: two by default, fewer when
asked before V8 starts (a Ray worker takes its reserved CPUs, a worker process one)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from code_interpreter import create_sandbox

COUNT = """
import sys
from pathlib import Path
from code_interpreter import _core, create_sandbox
asked = int(sys.argv[1])
if asked:
    assert _core.set_background_threads(asked)
create_sandbox().interpret("1")
assert not _core.set_background_threads(3)  # V8 has started: too late
names = [(task / "comm").read_text().strip() for task in Path("/proc/self/task").iterdir()]
print(sum(name.startswith("V8 DefaultWorke") for name in names))
"""


def v8_threads(asked: int) -> int:
    done = subprocess.run(
        [sys.executable, "-c", COUNT, str(asked)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_two_by_default_and_as_asked_before_v8_starts() -> None:
    assert v8_threads(0) == 2
    assert v8_threads(1) == 1


def test_a_worker_process_has_one() -> None:
    with create_sandbox(isolation="process", pre_warm=1) as box:
        pid = box.get_status()["isolation"]["workers"][0]["pid"]
        names = [
            (task / "comm").read_text().strip() for task in Path(f"/proc/{pid}/task").iterdir()
        ]
        assert sum(name.startswith("V8 DefaultWorke") for name in names) == 1
