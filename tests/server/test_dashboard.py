"""The dashboard in a real headless browser (Debian's chromium, ci/chromium): after some
executions its charts are drawn with data."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import KEYS, RunningServer
from .test_service import execute

# The flags that keep chromium from reaching for the network on its own.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("chromium is needed for the dashboard test: run ci/chromium")
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_dashboard_renders_live_data(serve: Callable[..., RunningServer], tmp_path: Path) -> None:
    server = serve()
    url = f"{server.url}/dashboard?key={KEYS[0]}"
    before = tmp_path / "before.png"
    chromium(
        tmp_path,
        "--window-size=1280,900",
        "--virtual-time-budget=3000",
        f"--screenshot={before}",
        url,
    )
    for i in range(12):
        execute(server, {"code": f"{i} * 2", "userId": f"user{i % 3}"})
    execute(server, {"code": "throw new Error('x')"})
    execute(server, {"code": "while (true) {}", "timeout": 100})

    dom = chromium(tmp_path, "--virtual-time-budget=3000", "--dump-dom", url).stdout
    assert re.search(r'id="total">14<', dom), dom[-3000:]
    assert re.search(r'id="sandboxes">4<', dom)
    assert re.search(r'id="errors">2<', dom)
    for chart in ("rate-chart", "latency-chart", "errors-chart", "sandboxes-chart"):
        points = re.search(rf'id="{chart}"[^>]*data-points="(\d+)"', dom)
        assert points and int(points.group(1)) > 0, chart
    assert re.search(r'id="p99">\d+\.\d\d<', dom)
    assert re.search(r'id="state">live, ', dom)

    after = tmp_path / "after.png"
    chromium(
        tmp_path,
        "--window-size=1280,900",
        "--virtual-time-budget=3000",
        f"--screenshot={after}",
        url,
    )
    for shot in (before, after):
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert before.read_bytes() != after.read_bytes()  # the charts drew the executions
