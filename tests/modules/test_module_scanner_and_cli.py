"""The scanner's allowance for require('<allowed>'), custom_security's allowed_modules, and the
CLI's --allow-module / --module-path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from code_interpreter import SecurityViolation, create_sandbox

from .conftest import MakePackage


@pytest.fixture
def modules(make_package: MakePackage, node_modules: Path) -> Path:
    make_package(
        "tool", {"index.js": "exports.twice = (x) => 2 * x;", "extra.js": "module.exports = 3;"}
    )
    make_package("@scope/kit", {"index.js": "module.exports = 'kit';"})
    return node_modules


@pytest.mark.parametrize("level", ["strict", "moderate"])
def test_scanner_lets_allowed_requires_pass(modules: Path, level: str) -> None:
    with create_sandbox(
        allowed_modules=["tool", "@scope/kit"], module_paths=[str(modules)], security_level=level
    ) as box:
        assert box.interpret("require('tool').twice(21)", return_raw_result=True) == 42
        assert box.interpret('require("tool/extra")', return_raw_result=True) == 3
        assert box.interpret("require('@scope/kit')") == "kit"


@pytest.mark.parametrize(
    "code",
    [
        "require('fs')",
        "require('toolbox')",  # a name that only starts like an allowed one
        "const name = 'tool'; require(name)",
        "require('to' + 'ol')",
        "require(`tool`)",
        "const r = require; r('tool')",
        "require('tool', 1)",
        "require('t\\x6fol')",  # an escape: the scanner reads literals as written
    ],
)
def test_scanner_refuses_every_other_require(modules: Path, code: str) -> None:
    with create_sandbox(allowed_modules=["tool"], module_paths=[str(modules)]) as box:
        with pytest.raises(SecurityViolation) as caught:
            box.interpret(code)
        assert caught.value.pattern == "require"


def test_custom_security_allowed_modules(modules: Path) -> None:
    with create_sandbox(
        security_level="custom",
        custom_security={"allowed_modules": ["tool"], "blocked_patterns": [r"\bfs\b"]},
        module_paths=[str(modules)],
    ) as box:
        assert box.interpret("require('tool').twice(2)", return_raw_result=True) == 4
        assert box.get_status()["options"]["custom_security"].allowed_modules == ("tool",)


def test_cli_allow_module_and_module_path(modules: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "code_interpreter",
            "--allow-module",
            "tool",
            "--allow-module",
            "@scope/kit",
            "--module-path",
            str(modules),
            "--json",
            "[require('tool').twice(5), require('@scope/kit')]",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == '[10, "kit"]'


def test_cli_reports_a_missing_module(modules: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "code_interpreter",
            "--allow-module",
            "absent",
            "--module-path",
            str(modules),
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "'absent' was not found" in done.stderr and str(modules) in done.stderr
