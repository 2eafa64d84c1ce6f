"""A smoke-sized pass of benchmarks/compare.py: every workload runs and is reported."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_compare_smoke_run_reports_every_workload(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compare.py"), "--smoke", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    workloads = {key.split("|")[0] for key, value in results["medians_us"].items() if value > 0}
    assert {"W1", "W2", "W3", "W4", "W5", "W6", "W6b", "W3f", "W5f", "W10"} <= workloads
    assert results["overshoot"]["ours"]["max_ms"] >= results["overshoot"]["ours"]["mean_ms"]
    assert all(kind["all_recovered"] for kind in results["memory_bombs"]["ours"].values())
    assert results["two_thread_scaling"]["ours"] > 0
    for peer in ("mini-racer", "quickjs", "stpyv8", "pythonmonkey"):
        assert peer in results["missing_peers"] or any(
            key.split("|")[1] == peer for key in results["medians_us"]
        )
    assert "W7 timeout overshoot" in done.stdout


def test_service_load_smoke_run_compares_with_express(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "service" / "load.py"),
            "--smoke",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    for server in ("ours", "express"):
        run = results[server]["2"]
        assert run["requests"] > 0 and run["errors"] == 0, run
    assert "throughput ours / express at 2 clients" in done.stdout


def test_modules_smoke_run_reports_require_against_inline(tmp_path: Path) -> None:
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "modules.py"), "--smoke", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    medians = results["medians_us"]
    assert medians["require lodash, fresh"] > 0 and medians["inline lodash, fresh"] > 0
    assert results["require_over_inline"] == (
        medians["require lodash, fresh"] / medians["inline lodash, fresh"]
    )


def test_cluster_smoke_run_reports_speedup_round_trip_and_crossover(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="the [ray] extra is not installed")
    out = tmp_path / "cluster.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "cluster.py"), "--smoke", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["heavy_speedup_batch"] > 0 and figures["heavy_speedup_submit"] > 0
    assert figures["trivial_us"]["cluster"] > 0 and figures["trivial_us"]["in_process"] > 0
    assert [row["loop"] for row in figures["crossover"]] == [0, 10_000]
    assert "crossover" in done.stdout
