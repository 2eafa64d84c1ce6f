from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import code_interpreter


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "code_interpreter", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )


def test_cli_prints_the_result() -> None:
    done = cli("2 + 3 * 4")
    assert (done.returncode, done.stdout) == (0, "14\n")


def test_cli_file_context_and_json_output(tmp_path: Path) -> None:
    script = tmp_path / "calc.js"
    script.write_text("return context.xs.map(x => x * 2)")
    done = cli("-f", str(script), "--context", json.dumps({"xs": [1, 2]}), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [2, 4]


def test_cli_reads_stdin() -> None:
    assert cli("-f", "-", stdin="6 * 7").stdout == "42\n"


def test_cli_errors_are_clear_with_non_zero_exit() -> None:
    thrown = cli("throw new TypeError('bad')")
    assert thrown.returncode == 1 and "TypeError: bad" in thrown.stderr
    timeout = cli("--timeout", "50", "while (true) {}")
    assert timeout.returncode == 2 and "ExecutionTimeout" in timeout.stderr
    missing = cli("-f", "/no/such/file.js")
    assert missing.returncode == 2 and "No such file" in missing.stderr
    bad_context = cli("--context", "[1]", "1")
    assert bad_context.returncode == 2 and "JSON object" in bad_context.stderr


def test_cli_version_prints_both_versions() -> None:
    done = cli("--version")
    assert done.returncode == 0, done.stderr
    assert code_interpreter.__version__ in done.stdout
    assert f"V8 {code_interpreter.v8_version()}" in done.stdout
