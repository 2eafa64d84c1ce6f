"""A smoke-sized pass of benchmarks/compare.py: every workload runs and is reported."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def smoke_run(script: str, tmp_path: Path) -> tuple[dict[str, Any], str]:
    """Runs benchmarks/`script` with --smoke; returns its --json figures and its output."""
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--smoke", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text()), done.stdout


def test_compare_smoke_run_reports_every_workload(tmp_path: Path) -> None:
    results, stdout = smoke_run("compare.py", tmp_path)
    workloads = {key.split("|")[0] for key, value in results["medians_us"].items() if value > 0}
    assert {"W1", "W2", "W3", "W4", "W5", "W6", "W6b", "W3f", "W5f", "W10"} <= workloads, stdout
    assert results["overshoot"]["ours"]["max_ms"] >= results["overshoot"]["ours"]["mean_ms"]
    bombs = results["memory_bombs"]["ours"]
    assert all(kind["all_recovered"] for kind in bombs.values()), bombs
    assert results["two_thread_scaling"]["ours"] > 0, results["two_thread_scaling"]
    for peer in ("mini-racer", "quickjs", "stpyv8", "pythonmonkey"):
        assert peer in results["missing_peers"] or any(
            key.split("|")[1] == peer for key in results["medians_us"]
        )
    assert "W7 timeout overshoot" in stdout


def test_service_load_smoke_run_compares_with_express(tmp_path: Path) -> None:
    results, stdout = smoke_run("service/load.py", tmp_path)
    for server in ("ours", "express"):
        run = results[server]["2"]
        assert run["requests"] > 0 and run["errors"] == 0, run
    assert "throughput ours / express at 2 clients" in stdout


def test_modules_smoke_run_reports_require_against_inline(tmp_path: Path) -> None:
    results, _ = smoke_run("modules.py", tmp_path)
    medians = results["medians_us"]
    assert medians["require lodash, fresh"] > 0 and medians["inline lodash, fresh"] > 0
    assert results["require_over_inline"] == (
        medians["require lodash, fresh"] / medians["inline lodash, fresh"]
    )


def test_isolation_smoke_run_reports_start_and_memory_of_both_modes(tmp_path: Path) -> None:
    results, stdout = smoke_run("isolation.py", tmp_path)
    for mode in ("thread", "process"):
        assert results[mode]["start_ms"] > 0 and results[mode]["per_isolate_mb"] > 0, results
    assert results["process"]["first_worker_mb"] > 0
    # A worker's channel is mapped (a page of each ring at least once a call crossed it).
    assert 0 < results["process"]["channel_mb"] <= 0.27, results
    assert results["memory_ratio"] == (
        results["process"]["per_isolate_mb"] / results["thread"]["per_isolate_mb"]
    )
    assert "worker / in-process isolate" in stdout


def test_cluster_smoke_run_reports_speedup_round_trip_and_crossover(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="the [ray] extra is not installed")
    figures, stdout = smoke_run("cluster.py", tmp_path)
    assert figures["heavy_speedup_batch"] > 0 and figures["heavy_speedup_submit"] > 0
    assert figures["trivial_us"]["cluster"] > 0 and figures["trivial_us"]["in_process"] > 0
    assert [row["loop"] for row in figures["crossover"]] == [0, 10_000]
    assert "crossover" in stdout


def test_instruction_floor_smoke_run_runs_every_row_on_both_sides(tmp_path: Path) -> None:
    subprocess.run([str(ROOT / "ci" / "v8-probe"), "fresh_floor", "--build-only"], check=True)
    results, stdout = smoke_run("instruction_floor.py", tmp_path)
    assert len(results["rows_run"]) == stdout.count("both sides ran") >= 2
