"""Resolution as a bundler targeting a browser-like runtime: the `browser` condition, the
package.json "browser" field (its main, its file replacements, `false` for an empty module, the
Node built-ins it stands in for), "imports" (`#name`), and `module_conditions`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import ISOLATIONS

from code_interpreter import ConfigurationError, JavaScriptError, create_sandbox

from .conftest import MakePackage, in_both_isolations, run_modules


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    in_both_isolations(monkeypatch, sys.modules[__name__], request.param)
    return request.param


@pytest.fixture
def shaped(make_package: MakePackage, node_modules: Path) -> Path:
    make_package(
        "two-builds",
        {"node.js": "require('fs'); module.exports = 'node';", "web.js": "module.exports = 'web';"},
        exports={".": {"node": "./node.js", "browser": "./web.js", "default": "./node.js"}},
    )
    make_package(
        "browser-main",
        {
            "index.js": "require('crypto'); module.exports = 'node';",
            "b.js": "module.exports = 'b';",
        },
        main="index.js",
        browser="b.js",
    )
    make_package(
        "browser-map",
        {
            "index.js": (
                "const rng = require('./lib/rng'); const path = require('path');"
                " const fs = require('fs'); module.exports = [rng(), path.sep, fs];"
            ),
            "lib/rng.js": "module.exports = () => 'node-rng';",
            "lib/rng-browser.js": "module.exports = () => 'browser-rng';",
            "shims/path.js": "module.exports = { sep: '/' };",
        },
        main="index.js",
        browser={"./lib/rng.js": "./lib/rng-browser.js", "path": "./shims/path.js", "fs": False},
    )
    make_package(
        "with-imports",
        {
            "index.js": "module.exports = require('#env') + ':' + require('#util/deep');",
            "env-node.js": "module.exports = 'node';",
            "env-web.js": "module.exports = 'web';",
            "util/deep.js": "module.exports = 'deep';",
            "esm.mjs": "import env from '#env'; export default env;",
        },
        main="index.js",
        imports={
            "#env": {"node": "./env-node.js", "browser": "./env-web.js"},
            "#util/*": "./util/*.js",
        },
    )
    return node_modules


def test_the_browser_condition_by_default(shaped: Path) -> None:
    assert run_modules(shaped, ["two-builds"], "require('two-builds')") == "web"


def test_other_conditions_when_asked(shaped: Path) -> None:
    with pytest.raises(JavaScriptError) as caught:
        run_modules(shaped, ["two-builds"], "require('two-builds')", module_conditions=["node"])
    assert "Node's built-in modules are not available" in caught.value.message
    # No extra condition: "default".
    with pytest.raises(JavaScriptError):
        run_modules(shaped, ["two-builds"], "require('two-builds')", module_conditions=[])


def test_the_browser_field_replaces_main(shaped: Path) -> None:
    assert run_modules(shaped, ["browser-main"], "require('browser-main')") == "b"


def test_the_browser_field_maps_files_and_builtins(shaped: Path) -> None:
    assert run_modules(shaped, ["browser-map"], "require('browser-map')") == [
        "browser-rng",
        "/",
        {},
    ]


def test_the_browser_field_only_with_the_browser_condition(shaped: Path) -> None:
    with pytest.raises(JavaScriptError) as caught:
        run_modules(shaped, ["browser-map"], "require('browser-map')", module_conditions=[])
    assert "'path'" in caught.value.message


def test_package_imports(shaped: Path) -> None:
    assert run_modules(shaped, ["with-imports"], "require('with-imports')") == "web:deep"
    code = "require('with-imports/esm.mjs').default"
    assert run_modules(shaped, ["with-imports"], code, module_conditions=["node"]) == "node"


def test_the_sandboxs_code_has_no_package_imports(shaped: Path) -> None:
    with pytest.raises(JavaScriptError) as caught:
        run_modules(shaped, ["with-imports"], "require('#env')", security_level="permissive")
    assert "belong to a package" in caught.value.message


@pytest.mark.parametrize("bad", ["node", ["require"], ["default"], [""], [1]])
def test_module_conditions_are_checked(shaped: Path, bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="module_conditions"):
        create_sandbox(
            allowed_modules=["two-builds"], module_paths=[str(shaped)], module_conditions=bad
        )
