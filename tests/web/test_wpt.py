"""The Web Platform Tests that Node vendors, run in our sandbox by ci/wpt: every subtest passes
but those ci/wpt-status.json lists, each with its reason, and every listed one still fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WPT = ROOT / ".deps" / "wpt" / "node-v20.19.2" / "test" / "fixtures" / "wpt"


def test_the_web_platform_tests_pass_as_listed() -> None:
    if not (WPT / "resources" / "testharness.js").is_file():
        pytest.fail(f"{WPT} is missing: run ci/wpt-fetch")
    run = subprocess.run(
        [sys.executable, str(ROOT / "ci" / "wpt_runner.py"), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    rows = {row["suite"]: row for row in json.loads(run.stdout)}
    assert len(rows) == 10
    for suite, row in rows.items():
        assert row["total"] > 0, suite
        assert row["passed"] <= row["total"]
    assert rows["url"]["passed"] > 1900
    assert rows["WebCryptoAPI"]["passed"] == rows["WebCryptoAPI"]["total"]
