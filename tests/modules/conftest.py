from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

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
