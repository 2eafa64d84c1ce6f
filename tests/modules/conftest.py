from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from code_interpreter import JavaScriptError, Sandbox, create_sandbox

ROOT = Path(__file__).resolve().parents[2]
NPM_MODULES = ROOT / ".deps" / "npm" / "node_modules"

MakePackage = Callable[..., Path]


@pytest.fixture(scope="session")
def npm_modules() -> Path:
    """The real packages ci/npm-packages fetched (ci/bootstrap runs it)."""
    if not (NPM_MODULES / "lodash" / "package.json").is_file():
        pytest.fail(f"{NPM_MODULES} is missing: run ci/npm-packages")
    return NPM_MODULES


@pytest.fixture
def node_modules(tmp_path: Path) -> Path:
    folder = tmp_path / "node_modules"
    folder.mkdir()
    return folder


@pytest.fixture
def make_package(node_modules: Path) -> MakePackage:
    """Writes a package: make_package("name", {"index.js": "..."}, main="index.js", ...)."""

    def make(
        name: str,
        files: Mapping[str, str],
        folder: Path | None = None,
        **manifest: Any,
    ) -> Path:
        package = (folder or node_modules) / name
        package.mkdir(parents=True, exist_ok=True)
        (package / "package.json").write_text(json.dumps({"name": name, **manifest}))
        for relative, text in files.items():
            path = package / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return package

    return make


def module_box(node_modules: Path, *names: str, **options: Any) -> Sandbox:
    """A sandbox allowed `names` from `node_modules` (isolation as the calling suite's
    fixture sets it with `in_both_isolations`)."""
    options.setdefault("max_execution_time", 5000)
    return create_sandbox(allowed_modules=list(names), module_paths=[str(node_modules)], **options)


def run_modules(node_modules: Path, names: list[str], code: str, **options: Any) -> Any:
    with module_box(node_modules, *names, **options) as sandbox:
        return sandbox.interpret(code, return_raw_result=True)


def js_error(sandbox: Sandbox, code: str) -> JavaScriptError:
    with pytest.raises(JavaScriptError) as caught:
        sandbox.interpret(code)
    return caught.value


def in_both_isolations(monkeypatch: pytest.MonkeyPatch, suite: object, isolation: str) -> None:
    """The sandboxes a suite makes, itself or through the helpers above, use `isolation`."""
    from tests.conftest import use_isolation

    use_isolation(monkeypatch, sys.modules[__name__], isolation)
    use_isolation(monkeypatch, suite, isolation)
