"""schemathesis against /openapi.json of a running server: generated requests (valid and
not) never get a 5xx."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from .conftest import KEYS, RunningServer


def test_no_server_errors_on_generated_requests(
    serve: Callable[..., RunningServer], tmp_path: Path
) -> None:
    server = serve(rate_limit=(100_000, 60))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{server.url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "40",
            "--seed",
            "1",
            "--header",
            f"Authorization: Bearer {KEYS[0]}",
            "--request-timeout",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # its cache directory goes there, not into the tree
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
