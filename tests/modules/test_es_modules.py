"""ES modules over small packages written by the tests: require() of an ES module, import
declarations and import() in the sandbox's code, the import condition and .mjs files, CommonJS
seen from ES modules and back, and the refusals."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import ISOLATIONS, recycled_as_this_v8_can

from code_interpreter import SecurityViolation, create_sandbox

from .conftest import MakePackage, in_both_isolations, js_error, module_box, run_modules


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    in_both_isolations(monkeypatch, sys.modules[__name__], request.param)
    return request.param


@pytest.fixture
def packages(make_package: MakePackage, node_modules: Path) -> Iterator[Path]:
    make_package(
        "esm-only",
        {
            "index.js": (
                "import { double } from './lib/math.js';\n"
                "import helper from 'cjs-helper';\n"
                "import { shout } from 'cjs-helper';\n"
                "export const answer = double(21);\n"
                "export default function greet(name) { return shout('hi ' + name); }\n"
                "export { helper };\n"
                "export const url = import.meta.url;\n"
            ),
            "lib/math.js": "export const double = (x) => x * 2;\n",
        },
        type="module",
        exports={".": "./index.js"},
        dependencies={"cjs-helper": "1"},
    )
    make_package(
        "cjs-helper",
        {"index.js": "exports.shout = (s) => s.toUpperCase() + '!'; exports.version = 3;"},
    )
    make_package(
        "mjs-entry",
        {
            "index.mjs": "export const kind = 'mjs'; export default 7;",
            "index.cjs": "module.exports = { kind: 'cjs' };",
        },
        exports={".": {"import": "./index.mjs", "require": "./index.cjs"}},
    )
    make_package(
        "mjs-only",
        {"dist/entry.mjs": "export const only = 'mjs';"},
        exports={".": {"import": "./dist/entry.mjs"}},
    )
    make_package(
        "counter",
        {"index.js": "let n = 0; export const next = () => ++n;"},
        type="module",
        main="index.js",
    )
    make_package(
        "uses-json",
        {
            "index.js": ("import data from './data.json';\nexport const n = data.n;\n"),
            "data.json": '{"n": 5}',
        },
        type="module",
    )
    make_package(
        "tla",
        {"index.mjs": "export const later = await Promise.resolve(9);"},
        exports="./index.mjs",
    )
    make_package(
        "broken-esm",
        {"index.mjs": "export const a = 1;\nexport const = 2;\n"},
        exports="./index.mjs",
    )
    make_package(
        "untyped-esm",
        {"index.js": "export const guessed = 'as a bundler does';"},
        main="index.js",
    )
    make_package(
        "requires-esm",
        {"index.js": "const m = require('esm-only'); module.exports = m.answer + m.default('x');"},
        dependencies={"esm-only": "1"},
    )
    yield node_modules


def test_require_of_an_es_module_gives_its_namespace(packages: Path) -> None:
    code = (
        "const m = require('esm-only');"
        "return [m.answer, m.default('ada'), m.helper.version, Object.keys(m).sort(), m.url]"
    )
    assert run_modules(packages, ["esm-only"], code) == [
        42,
        "HI ADA!",
        3,
        ["answer", "default", "helper", "url"],
        "file:///node_modules/esm-only/index.js",
    ]


def test_import_declarations_in_every_form(packages: Path) -> None:
    code = (
        "import greet, { answer as a } from 'esm-only';\n"
        "import * as ns from 'esm-only';\n"
        "import helper, { shout } from 'cjs-helper';\n"
        "import 'counter';\n"
        "import { 'answer' as quoted } from 'esm-only'\n"
        "return [greet('x'), a, ns.answer, helper.version, shout('y'), quoted]"
    )
    got = run_modules(packages, ["esm-only", "cjs-helper", "counter"], code)
    assert got == ["HI X!", 42, 42, 3, "Y!", 42]


def test_import_declarations_keep_line_numbers(packages: Path) -> None:
    with module_box(packages, "esm-only") as sandbox:
        error = js_error(sandbox, "import {\n  answer\n} from 'esm-only';\nnull.boom;")
    assert error.name == "TypeError"
    assert error.line_number == 4


def test_dynamic_import_from_the_code_and_from_modules(packages: Path) -> None:
    code = (
        "const m = await import('esm-only'); const c = await import('cjs-helper');"
        "const j = await import('mjs-entry');"
        "return [m.answer, c.default.version, c.shout('a'), j.kind, j.default]"
    )
    assert run_modules(packages, ["esm-only", "cjs-helper", "mjs-entry"], code) == [
        42,
        3,
        "A!",
        "mjs",
        7,
    ]


def test_the_import_condition_and_mjs_entries(packages: Path) -> None:
    code = "[require('mjs-entry').kind, require('mjs-only').only]"
    assert run_modules(packages, ["mjs-entry", "mjs-only"], code) == ["cjs", "mjs"]
    assert (
        run_modules(packages, ["mjs-entry"], "import { kind } from 'mjs-entry'; return kind")
        == "mjs"
    )


def test_a_commonjs_package_requires_an_es_module(packages: Path) -> None:
    assert run_modules(packages, ["requires-esm"], "require('requires-esm')") == "42HI X!"


def test_json_imported_by_an_es_module(packages: Path) -> None:
    assert run_modules(packages, ["uses-json"], "require('uses-json').n") == 5


def test_a_js_file_written_as_an_es_module_runs_as_one(packages: Path) -> None:
    assert (
        run_modules(packages, ["untyped-esm"], "require('untyped-esm').guessed")
        == "as a bundler does"
    )


def test_fresh_mode_gives_fresh_module_instances(packages: Path) -> None:
    with module_box(packages, "counter") as sandbox:
        counts = [
            sandbox.interpret(
                "import { next } from 'counter'; next(); return next()", return_raw_result=True
            )
            for _ in range(4)
        ]
    assert counts == [2, 2, 2, 2]


def test_a_persistent_context_evaluates_a_module_once(packages: Path) -> None:
    with module_box(packages, "counter", persistent_context=True) as sandbox:
        counts = [
            sandbox.interpret("return require('counter').next()", return_raw_result=True)
            for _ in range(3)
        ]
        same = sandbox.interpret(
            "const a = await import('counter'); return a.next === require('counter').next",
            return_raw_result=True,
        )
    assert counts == [1, 2, 3]
    assert same is True


def test_top_level_await_in_a_module(packages: Path) -> None:
    assert run_modules(packages, ["tla"], "const m = await import('tla'); return m.later") == 9
    with module_box(packages, "tla") as sandbox:
        error = js_error(sandbox, "require('tla')")
    assert "top-level await" in error.message
    assert "await import(" in error.message


def test_an_es_module_that_does_not_compile_says_so(packages: Path) -> None:
    with module_box(packages, "broken-esm") as sandbox:
        error = js_error(sandbox, "require('broken-esm')")
    assert error.name == "SyntaxError"
    assert "/node_modules/broken-esm/index.mjs is an ES module and could not be compiled" in (
        error.message
    )
    assert "(line 2)" in error.message


def test_imports_only_of_allowed_modules(packages: Path) -> None:
    with module_box(packages, "esm-only") as sandbox:
        with pytest.raises(SecurityViolation):
            sandbox.interpret("import x from 'cjs-helper'; return x")
        with pytest.raises(SecurityViolation):
            sandbox.interpret("const name = 'esm-only'; return import(name)")
        # The module itself imports its dependency: that is the package's business.
        assert sandbox.interpret("import { helper } from 'esm-only'; return helper.version") == "3"


def test_the_import_function_takes_only_allowed_modules(packages: Path) -> None:
    with module_box(packages, "esm-only", security_level="permissive") as sandbox:
        error = js_error(sandbox, "return require.import('cjs-helper')")
        assert "Cannot import 'cjs-helper'" in error.message
        error = js_error(sandbox, "await import('cjs-helper')")
        assert "'cjs-helper' is not an allowed module" in error.message


def test_import_without_modules_is_a_clear_error() -> None:
    with create_sandbox(security_level="permissive") as sandbox:
        error = js_error(sandbox, "await import('lodash')")
    assert "allowed_modules" in error.message


def test_es_modules_are_served_from_the_recycled_context(packages: Path) -> None:
    with module_box(packages, "esm-only") as sandbox:
        code = "import { answer } from 'esm-only'; return answer + 1"
        for _ in range(10):
            assert sandbox.interpret(code, return_raw_result=True) == 43
        assert recycled_as_this_v8_can(sandbox.get_status()["isolates"]["contexts_recycled"], 5)


def test_the_view_of_a_linked_module_cannot_be_written(packages: Path) -> None:
    code = (
        "import * as ns from 'esm-only';\n"
        "let threw = false;\n"
        "try { (() => { 'use strict'; ns.answer = 1; })(); } catch (e) {"
        " threw = e instanceof TypeError; }\n"
        "return [threw, ns.answer]"
    )
    assert run_modules(packages, ["esm-only"], code) == [True, 42]
