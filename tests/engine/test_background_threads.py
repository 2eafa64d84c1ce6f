"""V8's background threads (compiling, collecting) per process: two by default, fewer when
asked before V8 starts (a Ray worker takes its reserved CPUs, a worker process one)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from code_interpreter import create_sandbox

COUNT = """
import sys
import time
from pathlib import Path
from code_interpreter import _core, create_sandbox
asked, expected = int(sys.argv[1]), int(sys.argv[2])
if asked:
    assert _core.set_background_threads(asked)
create_sandbox().interpret("1")
assert not _core.set_background_threads(3)  # V8 has started: too late

def count():
    names = [(task / "comm").read_text().strip() for task in Path("/proc/self/task").iterdir()]
    return sum(name.startswith("V8 DefaultWorke") for name in names)

# The threads start with the first isolate and name themselves once running; then whether
# more come.
deadline = time.monotonic() + 10
while count() < expected and time.monotonic() < deadline:
    time.sleep(0.01)
time.sleep(0.2)
print(count())
"""


def v8_threads(asked: int, expected: int) -> int:
    done = subprocess.run(
        [sys.executable, "-c", COUNT, str(asked), str(expected)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_two_by_default_and_as_asked_before_v8_starts() -> None:
    assert v8_threads(0, expected=2) == 2
    assert v8_threads(1, expected=1) == 1


def test_a_worker_process_has_one() -> None:
    with create_sandbox(isolation="process", pre_warm=1) as box:
        pid = box.get_status()["isolation"]["workers"][0]["pid"]

        def count() -> int:
            names = [
                (task / "comm").read_text().strip() for task in Path(f"/proc/{pid}/task").iterdir()
            ]
            return sum(name.startswith("V8 DefaultWorke") for name in names)

        deadline = time.monotonic() + 10  # as above: then whether more come
        while count() < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
        assert count() == 1
