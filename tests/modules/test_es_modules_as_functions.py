"""ES modules run as functions (native/core/modules/es_module_functions.h): the graphs that
qualify give what V8's linking gives (values, namespaces, names, order, errors) and can be served
from a recycled context; the ones that do not (a live binding, a cycle, top-level await) are
linked by V8 and still give the right answer."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import ISOLATIONS, recycled_as_this_v8_can

from code_interpreter import JavaScriptError

from .conftest import MakePackage, in_both_isolations, module_box, run_modules


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    in_both_isolations(monkeypatch, sys.modules[__name__], request.param)
    return request.param


def esm(make_package: MakePackage, name: str, files: dict[str, str]) -> None:
    make_package(name, files, type="module", main="index.js")


@pytest.fixture
def packages(make_package: MakePackage, node_modules: Path) -> Iterator[Path]:
    esm(
        make_package,
        "reads",
        {
            "index.js": (
                "import { two } from './two.js';\n"
                "const local = 5;\n"
                "export const exported = 7;\n"
                "export function readsLocal() { return local + 1; }\n"
                "export function readsImport() { return two + 1; }\n"
                "export function readsExport() { return exported + 1; }\n"
            ),
            "two.js": "export const two = 2;\n",
        },
    )
    esm(
        make_package,
        "live",
        {"index.js": "export let count = 0;\nexport function bump() { count++; }\n"},
    )
    make_package(
        "live-reader",
        {
            "index.js": (
                "import { count, bump } from 'live';\n"
                "export function bumpTwice() { bump(); bump(); return count; }\n"
            )
        },
        type="module",
        main="index.js",
        dependencies={"live": "1"},
    )
    esm(
        make_package,
        "cycle",
        {
            "index.js": (
                "import { b } from './b.js';\n"
                "export function a() { return 'a'; }\n"
                "export const both = b();\n"
            ),
            "b.js": "import { a } from './index.js';\nexport function b() { return a() + 'b'; }\n",
        },
    )
    esm(
        make_package,
        "missing",
        {"index.js": "import { nope } from './x.js';\nexport const y = nope;\n", "x.js": "1;"},
    )
    esm(
        make_package,
        "names",
        {
            "index.js": (
                "export { default as anonymous } from './anonymous.js';\n"
                "export { default as arrow } from './arrow.js';\n"
                "export { default as klass } from './klass.js';\n"
                "export { default as named } from './named.js';\n"
                "export { default as builtin } from './builtin.js';\n"
            ),
            "anonymous.js": "export default function () { return 1; }\n",
            "arrow.js": "export default () => 2;\n",
            "klass.js": "export default class {}\n",
            "named.js": "export default function helper() { return helper.name; }\n",
            "builtin.js": "const parse = parseInt;\nexport default parse;\n",
        },
    )
    esm(
        make_package,
        "stars",
        {
            "index.js": (
                "export * from './a.js';\nexport * from './b.js';\n"
                "export * as b from './b.js';\nexport const own = 'own';\n"
            ),
            "a.js": "export const x = 'a'; export const onlyA = 1; export default 'da';\n",
            "b.js": "export const x = 'b'; export const onlyB = 2; export const own = 'b';\n",
        },
    )
    make_package(
        "star-reader",
        {
            "index.js": (
                "import * as s from 'stars';\n"
                "export function write() {\n"
                "  try { s.own = 1; return 'written'; } catch (e) { return e.constructor.name; }\n"
                "}\n"
                "export function seen() {\n"
                "  return [s.own, Object.isExtensible(s), Object.getPrototypeOf(s)];\n"
                "}\n"
            )
        },
        type="module",
        main="index.js",
        dependencies={"stars": "1"},
    )
    esm(
        make_package,
        "ordered",
        {
            "index.js": (
                "import { log } from './log.js';\nimport './first.js';\nimport './second.js';\n"
                "log.push('root');\nexport const order = log;\n"
            ),
            "log.js": "export const log = [];\n",
            "first.js": "import { log } from './log.js';\nlog.push('first');\n",
            "second.js": "import { log } from './log.js';\nlog.push('second');\n",
        },
    )
    esm(
        make_package,
        "throws",
        {"index.js": "export const a = 1;\n\nthrow new RangeError('at evaluation');\n"},
    )
    esm(
        make_package,
        "scope",
        {
            "index.js": (
                "import { two } from './two.js';\n"
                "export const topThis = this;\n"
                "export function assignImport() { two = 3; }\n"
                "export function stack() { return new Error('here').stack; }\n"
            ),
            "two.js": "export const two = 2;\n",
        },
    )
    esm(make_package, "shared", {"index.js": "export const object = {};\n"})
    make_package(
        "via-functions",
        {"index.js": "import { object } from 'shared';\nexport { object };\n"},
        type="module",
        main="index.js",
        dependencies={"shared": "1"},
    )
    make_package(
        "via-linking",
        {
            "index.js": (
                "import { object } from 'shared';\nexport { object };\n"
                "export let changes = 0;\nexport function change() { changes++; }\n"
            )
        },
        type="module",
        main="index.js",
        dependencies={"shared": "1"},
    )
    esm(
        make_package,
        "awaits",
        {
            "index.js": (
                "export async function later() { return (await Promise.resolve(4)) + 1; }\n"
                "export const tla = await (async () => 6)();\n"
            )
        },
    )
    esm(
        make_package,
        "imports-dynamically",
        {
            "index.js": "export const load = () => import('./lazy.js');\n",
            "lazy.js": "export const lazy = 'loaded';\n",
        },
    )
    yield node_modules


@pytest.mark.parametrize("function", ["readsLocal", "readsImport", "readsExport"])
def test_calls_into_module_functions_take_the_recycled_context(
    packages: Path, function: str
) -> None:
    with module_box(packages, "reads") as sandbox:
        code = f"import {{ {function} }} from 'reads'; return {function}()"
        results = [sandbox.interpret(code, return_raw_result=True) for _ in range(10)]
        assert results == [results[0]] * 10 and results[0] in (6, 3, 8)
        assert recycled_as_this_v8_can(sandbox.get_status()["isolates"]["contexts_recycled"], 5)


def test_an_exported_binding_written_later_stays_live(packages: Path) -> None:
    code = "import * as live from 'live'; live.bump(); live.bump(); return live.count"
    assert run_modules(packages, ["live"], code) == 2
    code = "import { bumpTwice } from 'live-reader'; return bumpTwice()"
    assert run_modules(packages, ["live-reader"], code) == 2


def test_a_cycle_sees_hoisted_functions(packages: Path) -> None:
    assert run_modules(packages, ["cycle"], "import { both } from 'cycle'; return both") == "ab"


def test_a_missing_export_is_a_syntax_error_naming_it(packages: Path) -> None:
    with module_box(packages, "missing") as sandbox, pytest.raises(JavaScriptError) as caught:
        sandbox.interpret("import { y } from 'missing'; return y")
    assert caught.value.name == "SyntaxError"
    assert "does not provide an export named 'nope'" in caught.value.message


def test_a_module_cannot_close_its_function(make_package: MakePackage, node_modules: Path) -> None:
    escape = "}}); globalThis.escaped = true; (function () { return function () {"
    esm(make_package, "escape", {"index.js": f"export const a = 1;\n{escape}\n"})
    with module_box(node_modules, "escape", persistent_context=True) as sandbox:
        with pytest.raises(JavaScriptError) as caught:
            sandbox.interpret("import { a } from 'escape'; return a")
        assert caught.value.name == "SyntaxError"
        # Stopped before any of it ran, as V8's linking stops a module that does not parse.
        assert sandbox.interpret("typeof globalThis.escaped") == "undefined"


@pytest.mark.parametrize(
    "code",
    [
        "import * as m from 'blocked'; return 1",
        "require('blocked'); return 1",
        "return import('blocked')",
    ],
)
def test_an_export_inside_a_block_is_a_syntax_error(
    make_package: MakePackage, node_modules: Path, code: str
) -> None:
    # No top-level import or export, so the file first runs as a script (a UMD build); V8 then
    # names the module syntax, and it takes the ES module path, where this is a SyntaxError.
    # It used to run the script it had not compiled: a crash of the process.
    esm(make_package, "blocked", {"index.js": "{ export const q = 1\n"})
    with module_box(node_modules, "blocked") as sandbox, pytest.raises(JavaScriptError) as caught:
        sandbox.interpret(code)
    assert caught.value.name == "SyntaxError"
    assert "Unexpected token 'export'" in caught.value.message


def test_a_module_asked_for_while_it_evaluates_is_not_evaluated_again(
    make_package: MakePackage, node_modules: Path
) -> None:
    # V8 evaluates no module twice at once: asking it to was a fatal error of the process. Node
    # never settles either import below (each waits for its own module's evaluation).
    esm(make_package, "itself", {"index.js": "export const k = 1;\nawait import('./index.js');\n"})
    esm(
        make_package,
        "through",
        {
            "index.js": "export const x = 1;\nawait import('./c.js');\n",
            "c.js": "import { x } from './index.js';\nexport const y = x;\n",
        },
    )
    with module_box(node_modules, "itself", "through", persistent_context=True) as sandbox:
        # Its namespace as it is then, as a cycle of static imports gives it.
        assert sandbox.interpret("return import('itself').then((ns) => ns.k)") == "1"
        with pytest.raises(JavaScriptError) as caught:
            sandbox.interpret("return import('through').then(() => 1)")
        assert caught.value.name == "SyntaxError"
        assert "is not evaluated" in caught.value.message
        assert sandbox.interpret("1 + 1") == "2"


def test_default_exports_are_named_as_linking_names_them(packages: Path) -> None:
    code = (
        "import * as n from 'names';\n"
        "return [n.anonymous.name, n.arrow.name, n.klass.name, n.named(), n.builtin.name,"
        " parseInt.name, n.builtin === parseInt]"
    )
    assert run_modules(packages, ["names"], code) == [
        "default",
        "default",
        "default",
        "helper",
        "parseInt",
        "parseInt",
        True,
    ]


def test_star_exports_leave_out_default_and_ambiguous_names(packages: Path) -> None:
    code = (
        "import * as s from 'stars';\n"
        "return [Object.keys(s), s.own, s.b.x, String(s[Symbol.toStringTag])]"
    )
    assert run_modules(packages, ["stars"], code) == [
        ["b", "onlyA", "onlyB", "own"],
        "own",
        "b",
        "Module",
    ]


def test_a_namespace_cannot_be_changed(packages: Path) -> None:
    code = "import { write, seen } from 'star-reader'; return [write(), seen()]"
    assert run_modules(packages, ["star-reader"], code) == ["TypeError", ["own", False, None]]


def test_modules_run_in_linking_order(packages: Path) -> None:
    code = "import { order } from 'ordered'; return order"
    assert run_modules(packages, ["ordered"], code) == ["first", "second", "root"]


def test_an_error_at_evaluation_propagates_with_its_line(packages: Path) -> None:
    with module_box(packages, "throws") as sandbox, pytest.raises(JavaScriptError) as caught:
        sandbox.interpret("import { a } from 'throws'; return a")
    assert caught.value.name == "RangeError"
    assert caught.value.message == "at evaluation"
    assert "/node_modules/throws/index.js:3" in (caught.value.stack or "")


def test_module_scope_is_a_modules(packages: Path) -> None:
    with module_box(packages, "scope") as sandbox:
        code = "import { topThis } from 'scope'; return topThis === undefined"
        assert sandbox.interpret(code, return_raw_result=True) is True
        with pytest.raises(JavaScriptError) as caught:
            sandbox.interpret("import { assignImport } from 'scope'; assignImport()")
        assert caught.value.name == "TypeError"
        stack = sandbox.interpret("import { stack } from 'scope'; return stack()")
    assert "/node_modules/scope/index.js:4:" in stack


@pytest.mark.parametrize("first", ["via-functions", "via-linking"])
def test_one_instance_of_a_module_whichever_way_it_was_reached(packages: Path, first: str) -> None:
    other = "via-linking" if first == "via-functions" else "via-functions"
    code = (
        f"const one = require('{first}').object;\n"
        f"const two = require('{other}').object;\n"
        "return one === two"
    )
    assert run_modules(packages, ["via-functions", "via-linking"], code) is True


def test_top_level_await_is_left_to_linking(packages: Path) -> None:
    code = "const m = await import('awaits'); return [m.tla, await m.later()]"
    assert run_modules(packages, ["awaits"], code, security_level="permissive") == [6, 5]


def test_import_calls_from_module_code(packages: Path) -> None:
    code = "const { load } = require('imports-dynamically'); return (await load()).lazy"
    assert run_modules(packages, ["imports-dynamically"], code) == "loaded"
