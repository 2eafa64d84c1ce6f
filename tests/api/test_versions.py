import re
import subprocess
import sys
from importlib.metadata import version

import code_interpreter


def test_version_is_the_installed_distributions() -> None:
    assert code_interpreter.__version__ == version("code-interpreter")


def test_v8_version_is_dotted_numbers() -> None:
    # Debian's libnode reports e.g. "10.2.154.26-node.37".
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.\d+)?(-[\w.]+)?", code_interpreter.v8_version())


def test_cli_version_prints_both_versions() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "code_interpreter", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert code_interpreter.__version__ in done.stdout
    assert f"V8 {code_interpreter.v8_version()}" in done.stdout
