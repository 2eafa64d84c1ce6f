"""Each example under examples/ runs and prints what it should."""

import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(name: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quick_start() -> None:
    assert run("quick_start.py").splitlines() == ["14", "Sum of squares: 55"]


def test_math_evaluator() -> None:
    lines = run("math_evaluator.py").splitlines()
    assert lines[:2] == ["14.0", "9.0"]
    assert lines[2].startswith("Invalid expression:") and "require" in lines[2]


def test_batch_processing() -> None:
    lines = run("batch_processing.py").splitlines()
    assert "'result': '12'" in lines[0] and "'status': 'success'" in lines[0]
    assert "'result': '10'" in lines[1]
    assert "'result': 'true'" in lines[2]
    assert "'result': '{\"hello\":\"world\"}'" in lines[3]
    assert "'status': 'error'" in lines[4] and "ReferenceError" in lines[4]
    assert lines[5] == "['12', '10', 'true', '{\"hello\":\"world\"}']"


def test_code_stream() -> None:
    lines = run("code_stream.py").splitlines()
    assert lines[0] == "Stream ready" and lines[-1] == "Stream destroyed"
    times = [line for line in lines if line.startswith("Current time:")]
    assert len(times) == 3
    assert all(re.fullmatch(r"Current time: \d{4}-\d\d-\d\dT[\d:.]+Z", line) for line in times)
    assert sum(line.startswith("Execution started:") for line in lines) == 3


def test_sandbox_pool() -> None:
    lines = run("sandbox_pool.py").splitlines()
    assert lines[0] == str([str(i * i) for i in range(20)])
    created, reused = map(int, re.findall(r"\d+", lines[1]))
    assert 1 <= created <= 3 and created + reused == 20


def test_configurations() -> None:
    out = run("configurations.py")
    for name in ("development", "production", "high performance"):
        assert f"{name} [10,20,30]" in out
    assert "admin timers: function" in out and "guest timers: undefined" in out
    assert "guest limited:" in out and "per minute" in out
    assert "student: ok ['step 1', 'step 2', 'step 3']" in out
    assert "student Date: object" not in out and "student Date: function Object: undefined" in out
    assert "teacher: graded" in out


def test_benchmark_snippet() -> None:
    out = run("benchmark.py")
    assert "Sandbox Creation (10 instances):" in out
    assert "Simple Math (1000 executions):" in out
    expected = sum(x for x in (i * 2 for i in range(1000)) if x % 3)
    assert out.strip().endswith(f"-> {expected}")
