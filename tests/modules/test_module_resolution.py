"""require() over small packages written by the tests: Node's resolution rules inside a package,
and every refusal."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import ISOLATIONS, recycled_as_this_v8_can

from code_interpreter import (
    ConfigurationError,
    ExecutionTimeout,
    JavaScriptError,
    MemoryLimitExceeded,
    Sandbox,
    create_sandbox,
)

from .conftest import MakePackage

# Set per test by the fixture below: every case runs in both isolation modes.
ISOLATION = "thread"


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(sys.modules[__name__], "ISOLATION", request.param)
    return request.param


def box(node_modules: Path, *names: str, **options: Any) -> Sandbox:
    options.setdefault("isolation", ISOLATION)
    options.setdefault("max_execution_time", 2000)
    options.setdefault("memory_limit_mb", 64)
    return create_sandbox(allowed_modules=list(names), module_paths=[str(node_modules)], **options)


def run(node_modules: Path, names: list[str], code: str, **options: Any) -> Any:
    with box(node_modules, *names, **options) as sandbox:
        return sandbox.interpret(code, return_raw_result=True)


def js_error(sandbox: Sandbox, code: str) -> JavaScriptError:
    with pytest.raises(JavaScriptError) as caught:
        sandbox.interpret(code)
    return caught.value


@pytest.fixture
def shapes(make_package: MakePackage, node_modules: Path) -> Iterator[Path]:
    """Packages of the shapes Node resolves differently."""
    make_package("with-main", {"lib/entry.js": "module.exports = 'main';"}, main="lib/entry")
    make_package("with-index", {"index.js": "exports.kind = 'index';"})
    make_package(
        "with-exports",
        {
            "cjs/index.js": "module.exports = 'cjs';",
            "esm/index.mjs": "export default 'esm';",
            "cjs/feature.js": "module.exports = 'feature';",
            "cjs/locales/en.js": "module.exports = 'en';",
            "cjs/locales/fr.js": "module.exports = 'fr';",
            "cjs/hidden.js": "module.exports = 'hidden';",
        },
        exports={
            ".": {"import": "./esm/index.mjs", "require": "./cjs/index.js"},
            "./feature": {"node": "./cjs/feature.js", "default": "./esm/feature.mjs"},
            "./locales/*": "./cjs/locales/*.js",
            "./package.json": "./package.json",
        },
    )
    make_package(
        "internals",
        {
            "index.js": (
                "const a = require('./lib/a'); const data = require('./data.json');"
                "const sub = require('./sub'); const self = require('internals/lib/a');"
                "module.exports = {a, data, sub, same: self === a,"
                " file: __filename, dir: __dirname, id: module.id};"
            ),
            "lib/a.js": "module.exports = 'a:' + require('../lib/b.js');",
            "lib/b.js": "module.exports = 'b';",
            "data.json": '{"n": 1, "list": [1, 2]}',
            "sub/package.json": '{"main": "./main.js"}',
            "sub/main.js": "module.exports = 'sub-main';",
        },
    )
    yield node_modules


def test_main_with_extension_left_out(shapes: Path) -> None:
    assert run(shapes, ["with-main"], "require('with-main')") == "main"


def test_index_without_main(shapes: Path) -> None:
    assert run(shapes, ["with-index"], "require('with-index').kind") == "index"


def test_exports_conditions_and_patterns(shapes: Path) -> None:
    code = """[require('with-exports'), require('with-exports/feature'),
               require('with-exports/locales/fr'), require('with-exports/package.json').name]"""
    got = run(shapes, ["with-exports"], code, module_conditions=["node"])
    assert got == ["cjs", "feature", "fr", "with-exports"]


def test_the_node_condition_is_not_matched_by_default(shapes: Path) -> None:
    """The default conditions are a browser's: "./feature" leads to its "default" target,
    which the package does not ship."""
    with box(shapes, "with-exports") as sandbox:
        error = js_error(sandbox, "require('with-exports/feature')")
    assert "'./feature' is not defined" in error.message


def test_exports_bound_what_can_be_required(shapes: Path) -> None:
    with box(shapes, "with-exports") as sandbox:
        error = js_error(sandbox, "require('with-exports/cjs/hidden.js')")
        assert 'not defined by "exports"' in error.message
        assert "'./cjs/hidden.js'" in error.message


def test_internal_files_json_folders_and_self_reference(shapes: Path) -> None:
    result = run(shapes, ["internals"], "require('internals')")
    assert result == {
        "a": "a:b",
        "data": {"n": 1, "list": [1, 2]},
        "sub": "sub-main",
        "same": True,
        "file": "/node_modules/internals/index.js",
        "dir": "/node_modules/internals",
        "id": "/node_modules/internals/index.js",
    }


def test_subpaths_of_an_allowed_package(shapes: Path) -> None:
    assert run(shapes, ["internals"], "require('internals/lib/a')") == "a:b"
    assert run(shapes, ["internals"], "require('internals/data.json').n") == 1


def test_no_host_path_in_stacks(make_package: MakePackage, node_modules: Path) -> None:
    make_package("thrower", {"index.js": "\n\nexports.boom = () => { throw new Error('boom'); };"})
    with box(node_modules, "thrower") as sandbox:
        error = js_error(sandbox, "require('thrower').boom()")
    assert "/node_modules/thrower/index.js:3:" in error.stack
    assert str(node_modules) not in error.stack
    assert str(node_modules.parent) not in error.stack


def test_cycles_see_partial_exports_as_in_node(
    make_package: MakePackage, node_modules: Path
) -> None:
    make_package(
        "cycle",
        {
            "index.js": "exports.early = 1; const b = require('./b'); exports.late = 2;"
            " module.exports.seen = b.seen;",
            "b.js": "const a = require('./index'); exports.seen = JSON.stringify(a);",
        },
    )
    assert run(node_modules, ["cycle"], "require('cycle')") == {
        "early": 1,
        "late": 2,
        "seen": '{"early":1}',
    }


def test_dependencies_declared_and_not(make_package: MakePackage, node_modules: Path) -> None:
    make_package("dep", {"index.js": "module.exports = 'dep';"})
    make_package("undeclared", {"index.js": "module.exports = 'undeclared';"})
    make_package(
        "user",
        {
            "index.js": "exports.dep = require('dep');"
            " exports.nested = require('nested');"
            " try { require('undeclared'); } catch (e) { exports.refused = e.message; }"
        },
        dependencies={"dep": "1", "nested": "1"},
    )
    make_package(
        "nested",
        {"index.js": "module.exports = 'nested';"},
        folder=node_modules / "user" / "node_modules",
    )
    result = run(node_modules, ["user"], "require('user')")
    assert result["dep"] == "dep" and result["nested"] == "nested"
    assert "not among its dependencies" in result["refused"]
    with box(node_modules, "user", security_level="permissive") as sandbox:
        # The sandbox's own code may require only the listed names, not their dependencies.
        assert "is not an allowed module" in js_error(sandbox, "require('dep')").message


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        ("fs", "built-in"),
        ("node:fs", "built-in"),
        ("child_process", "built-in"),
        ("process", "built-in"),
        ("vm", "built-in"),
        ("fs/promises", "built-in"),
        ("other", "not an allowed module"),
        ("./index.js", "only its allowed modules"),
        ("../secret", "only its allowed modules"),
        ("/etc/passwd", "paths are not modules"),
        ("file:///etc/passwd", "URLs are not modules"),
        ("safe/../other", "not a subpath"),
        ("safe/./index.js", "not a subpath"),
        ("safe\\..\\other", "backslashes"),
        ("safe\0", "NUL"),
        ("", "needs a module name"),
    ],
)
def test_refused_requests_from_user_code(
    make_package: MakePackage, node_modules: Path, request_: str, words: str
) -> None:
    make_package("safe", {"index.js": "module.exports = 1;"})
    make_package("other", {"index.js": "module.exports = 2;"})
    with box(node_modules, "safe", security_level="permissive") as sandbox:
        error = js_error(sandbox, f"require({request_!r})")
        assert error.name == "Error"
        assert words in error.message
        assert sandbox.interpret("require('safe')", return_raw_result=True) == 1  # still usable


def test_non_string_request_is_a_type_error(make_package: MakePackage, node_modules: Path) -> None:
    make_package("safe", {"index.js": "module.exports = 1;"})
    with box(node_modules, "safe", security_level="permissive") as sandbox:
        assert js_error(sandbox, "require({toString() { return 'safe'; }})").name == "TypeError"


def test_relative_request_cannot_leave_the_package(
    make_package: MakePackage, node_modules: Path, tmp_path: Path
) -> None:
    (tmp_path / "secret.js").write_text("module.exports = 'secret';")
    make_package("victim", {"secret.js": "module.exports = 'other secret';"})
    make_package(
        "climber",
        {
            "index.js": "const out = {}; for (const p of ['../victim/secret', '../../secret',"
            " '../../../../../../etc/passwd', './../victim']) {"
            " try { out[p] = require(p); } catch (e) { out[p] = e.message; } }"
            " module.exports = out;"
        },
    )
    result = run(node_modules, ["climber", "victim"], "require('climber')")
    for message in result.values():
        assert "outside the package" in message


def test_symlink_out_of_the_package_is_not_a_file(
    make_package: MakePackage, node_modules: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.js").write_text("module.exports = 'host secret';")
    package = make_package(
        "linker",
        {
            "index.js": "try { module.exports = require('./leak'); }"
            " catch (e) { module.exports = e.message; }",
            "inner.js": "module.exports = 'inner';",
        },
    )
    os.symlink(outside / "secret.js", package / "leak.js")
    os.symlink(package / "inner.js", package / "alias.js")  # inside: allowed
    with box(node_modules, "linker") as sandbox:
        assert sandbox.interpret("require('linker')") == "Cannot find module './leak'"
        assert sandbox.interpret("require('linker/alias')") == "inner"


def test_allowed_names_that_cannot_be(node_modules: Path) -> None:
    for name in ["fs", "node:fs", "child_process", "fs/promises"]:
        with pytest.raises(ConfigurationError, match="built-in"):
            box(node_modules, name)
    for name in ["../x", "/abs", "lodash/fp", "Upper", "a b"]:
        with pytest.raises(ConfigurationError, match="not a package name"):
            box(node_modules, name)


def test_missing_package_names_the_folders_searched(node_modules: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    with pytest.raises(ConfigurationError, match="'absent' was not found") as caught:
        create_sandbox(allowed_modules=["absent"], module_paths=[str(node_modules), str(other)])
    assert str(node_modules) in str(caught.value) and str(other) in str(caught.value)


def test_module_paths_must_be_folders(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not a folder"):
        create_sandbox(allowed_modules=["x"], module_paths=[str(tmp_path / "none")])
    with pytest.raises(ConfigurationError, match="list of folders"):
        create_sandbox(allowed_modules=["x"], module_paths=str(tmp_path))


def test_default_module_path_is_the_working_directory(
    make_package: MakePackage, node_modules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_package("here", {"index.js": "module.exports = 'here';"})
    monkeypatch.chdir(node_modules.parent)
    with create_sandbox(allowed_modules=["here"]) as sandbox:
        assert sandbox.interpret("require('here')") == "here"


def test_require_exists_only_with_allowed_modules(bare: Sandbox) -> None:
    assert bare.interpret("typeof require") == "undefined"


def test_custom_globals_cannot_take_require(make_package: MakePackage, node_modules: Path) -> None:
    make_package("safe", {"index.js": "module.exports = 1;"})
    with pytest.raises(ConfigurationError, match="'require'"):
        box(node_modules, "safe", custom_globals={"require": 1})


def test_module_top_level_loop_times_out(make_package: MakePackage, node_modules: Path) -> None:
    make_package("spin", {"index.js": "for (;;) {}"})
    make_package("fine", {"index.js": "module.exports = 'fine';"})
    with box(node_modules, "spin", "fine", max_execution_time=300) as sandbox:
        with pytest.raises(ExecutionTimeout):
            sandbox.interpret("require('spin')")
        assert sandbox.interpret("require('fine')") == "fine"


def test_module_top_level_memory_bomb(make_package: MakePackage, node_modules: Path) -> None:
    make_package("hog", {"index.js": "const a = []; for (;;) a.push(new Array(1e5).fill(1));"})
    make_package("fine", {"index.js": "module.exports = 'fine';"})
    with box(node_modules, "hog", "fine", memory_limit_mb=32, max_execution_time=20_000) as sandbox:
        with pytest.raises(MemoryLimitExceeded):
            sandbox.interpret("require('hog')")
        assert sandbox.interpret("require('fine')") == "fine"


def test_a_module_that_throws_is_tried_again(make_package: MakePackage, node_modules: Path) -> None:
    make_package(
        "flaky",
        {"index.js": "if (!globalThis.ready) throw new TypeError('not yet'); module.exports = 7;"},
    )
    with box(node_modules, "flaky", persistent_context=True) as sandbox:
        error = js_error(sandbox, "require('flaky')")
        assert (error.name, error.message) == ("TypeError", "not yet")
        sandbox.interpret("globalThis.ready = true")
        assert sandbox.interpret("require('flaky')", return_raw_result=True) == 7


def test_syntax_error_in_a_module(make_package: MakePackage, node_modules: Path) -> None:
    make_package("broken", {"index.js": "module.exports = ;"})
    with box(node_modules, "broken") as sandbox:
        error = js_error(sandbox, "require('broken')")
        assert error.name == "SyntaxError"


@pytest.mark.parametrize(
    "source",
    [
        "}); globalThis.escaped = true; (function () {",
        # Closes both functions of the wrapper: the rest would run at the script's top level.
        "}}); globalThis.escaped = true; (function () { return function () {",
    ],
)
def test_a_module_cannot_close_its_wrapper(
    make_package: MakePackage, node_modules: Path, source: str
) -> None:
    make_package("escape", {"index.js": source})
    with box(node_modules, "escape", persistent_context=True) as sandbox:
        error = js_error(sandbox, "require('escape')")
        assert error.name == "SyntaxError"
        # Stopped before any of it ran, as a syntax error stops it.
        assert sandbox.interpret("typeof globalThis.escaped") == "undefined"


def test_no_string_code_generation_in_modules(
    make_package: MakePackage, node_modules: Path
) -> None:
    make_package("gen", {"index.js": "module.exports = () => new Function('return 1')();"})
    with box(node_modules, "gen") as sandbox:
        error = js_error(sandbox, "require('gen')()")
        assert error.name == "EvalError"
        assert sandbox.interpret("1 + 1", return_raw_result=True) == 2


def test_fresh_contexts_get_pristine_modules(make_package: MakePackage, node_modules: Path) -> None:
    make_package("counter", {"index.js": "module.exports = {n: 0, bump() { return ++this.n; }};"})
    with box(node_modules, "counter") as sandbox:
        for _ in range(12):  # past the first runs, onto the recycled context too
            assert sandbox.interpret("require('counter').bump()", return_raw_result=True) == 1
            assert sandbox.interpret("require('counter').n", return_raw_result=True) == 0
        assert recycled_as_this_v8_can(sandbox.get_status()["isolates"]["contexts_recycled"])
        sandbox.interpret("require('counter').bump = null")
        assert sandbox.interpret("typeof require('counter').bump") == "function"


def test_persistent_context_loads_a_module_once(
    make_package: MakePackage, node_modules: Path
) -> None:
    make_package(
        "once",
        {"index.js": "globalThis.loads = (globalThis.loads || 0) + 1; module.exports = {n: 0};"},
    )
    with box(node_modules, "once", persistent_context=True) as sandbox:
        for expected in (1, 2, 3):
            assert sandbox.interpret("require('once').n += 1", return_raw_result=True) == expected
        assert sandbox.interpret("loads", return_raw_result=True) == 1


def test_recycled_runs_see_only_what_they_require(
    make_package: MakePackage, node_modules: Path
) -> None:
    """A module with a global side effect is visible exactly when the code required it, in the
    order it did, however often the code ran before (recycled contexts included)."""
    make_package("a", {"index.js": "globalThis.trail = (globalThis.trail || '') + 'a';"})
    make_package("b", {"index.js": "globalThis.trail = (globalThis.trail || '') + 'b';"})
    codes = {
        "typeof trail": "undefined",
        "require('a'); return trail": "a",
        "require('b'); return trail": "b",
        "require('a'); require('b'); return trail": "ab",
        "require('b'); require('a'); return trail": "ba",
        "const t = typeof trail; require('a'); return t + ':' + trail": "undefined:a",
    }
    with box(node_modules, "a", "b") as sandbox:
        for _ in range(8):
            for code, expected in codes.items():
                assert sandbox.interpret(code) == expected, code
        recycled = sandbox.get_status()["isolates"]["contexts_recycled"]
    assert recycled_as_this_v8_can(recycled)


def test_data_dependent_requires_stay_correct(
    make_package: MakePackage, node_modules: Path
) -> None:
    make_package("a", {"index.js": "globalThis.trail = (globalThis.trail || '') + 'a';"})
    make_package("b", {"index.js": "globalThis.trail = (globalThis.trail || '') + 'b';"})
    code = "if (context.first) require('a'); require('b'); return trail"
    with box(node_modules, "a", "b") as sandbox:
        for i in range(30):
            first = i % 3 == 0
            assert sandbox.interpret(code, {"first": first}) == ("ab" if first else "b")


def test_modules_that_touch_the_realm_are_loaded_when_required(
    make_package: MakePackage, node_modules: Path
) -> None:
    """A module that patches a built-in, logs, or leaves a promise reaction when loaded cannot
    be held ready in a recycled context: each run sees exactly what a new context would."""
    make_package("patch", {"index.js": "Array.prototype.first = function () { return this[0]; };"})
    make_package("noisy", {"index.js": "console.log('loading noisy'); module.exports = 1;"})
    make_package(
        "later",
        {
            "index.js": "module.exports = {v: 0};"
            " Promise.resolve().then(() => { module.exports.v = 1; });"
        },
    )
    with box(node_modules, "patch", "noisy", "later") as sandbox:
        for _ in range(8):
            assert sandbox.interpret("typeof [].first") == "undefined"
            assert sandbox.interpret("require('patch'); return [5, 6].first()") == "5"
            result = sandbox.execute("return require('noisy')")
            assert [line.text for line in result.console] == ["loading noisy"]
            assert sandbox.interpret("return require('later').v") == "0"
            later = "const later = require('later'); return Promise.resolve().then(() => later.v)"
            assert sandbox.interpret(later) == "1"


def test_a_fifo_or_device_named_like_a_module_is_not_read(
    make_package: MakePackage, node_modules: Path
) -> None:
    """Reading a FIFO would block the sandbox's creation forever: only regular files are read."""
    package = make_package("piped", {"index.js": "module.exports = 'piped';"})
    os.mkfifo(package / "stuck.js")
    os.mkfifo(package / "stuck.json")
    (package / "lib").mkdir()
    os.mkfifo(package / "lib" / "package.json")
    os.symlink("stuck.js", package / "alias.js")
    with box(node_modules, "piped") as sandbox:
        assert sandbox.interpret("require('piped')") == "piped"
        error = js_error(sandbox, "require('piped/stuck')")
        assert "Cannot find module" in error.message


def test_a_file_larger_than_the_bound_is_refused_by_name(
    make_package: MakePackage, node_modules: Path
) -> None:
    package = make_package("huge", {"index.js": "module.exports = 1;"})
    with open(package / "blob.js", "wb") as blob:
        blob.truncate(65 << 20)  # sparse: no disk used
    with pytest.raises(ConfigurationError, match=r"blob\.js.*larger than"):
        box(node_modules, "huge")


def test_exports_patterns_never_reach_into_nested_node_modules(
    make_package: MakePackage, node_modules: Path
) -> None:
    make_package("dep", {"index.js": "module.exports = 'top dep';"})
    make_package(
        "opener",
        {"index.js": "module.exports = 'opener';", "lib/a.js": "module.exports = 'a';"},
        exports={".": "./index.js", "./*": "./*", "./lib/*": "./lib/*.js"},
        dependencies={"dep": "1"},
    )
    # A second `dep`, under opener's own node_modules, read as opener's dependency there.
    make_package(
        "dep",
        {"index.js": "module.exports = 'nested dep';"},
        folder=node_modules / "opener" / "node_modules",
    )
    with box(node_modules, "opener", "dep", security_level="permissive") as sandbox:
        assert sandbox.interpret("require('opener/lib/a')") == "a"
        assert sandbox.interpret("require('dep')") == "top dep"
        for request in [
            "opener/node_modules/dep/index.js",
            "opener/node_modules/dep/package.json",
        ]:
            error = js_error(sandbox, f"require({request!r})")
            assert 'is not defined by "exports"' in error.message, error
