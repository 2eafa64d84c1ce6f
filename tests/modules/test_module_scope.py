"""What module code finds around it, as in Node: `global` and `self` (global.global === global),
a frozen `process` with nothing of the host, `Buffer`; none of it is the sandbox's own code's
at the strict level. A module may declare any of these names itself."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tests.conftest import ISOLATIONS

from code_interpreter import SecurityViolation, create_sandbox

from .conftest import MakePackage, in_both_isolations, run_modules

SCOPE_PROBE = """
[typeof global, global === self, global.global === global, typeof global.Math,
 typeof process, Object.isFrozen(process), process.env.NODE_ENV, Object.keys(process.env),
 process.platform, typeof process.exit, typeof Buffer,
 Buffer.from('héllo').toString('base64'), Buffer.from('68690a', 'hex').toString(),
 Buffer.isBuffer(Buffer.alloc(2)), Buffer.concat([Buffer.from([1]), Buffer.from([2])]).length]
"""
EXPECTED = [
    "object",
    True,
    True,
    "object",
    "object",
    True,
    "production",
    ["NODE_ENV"],
    "sandbox",
    "undefined",
    "function",
    "aMOpbGxv",
    "hi\n",
    True,
    2,
]


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    in_both_isolations(monkeypatch, sys.modules[__name__], request.param)
    return request.param


@pytest.fixture
def scoped(make_package: MakePackage, node_modules: Path) -> Path:
    make_package("cjs-scope", {"index.js": f"module.exports = {SCOPE_PROBE};"})
    make_package(
        "esm-scope",
        {"index.js": f"export default {SCOPE_PROBE};"},
        type="module",
    )
    make_package(
        "declares-its-own",
        {
            "index.js": (
                "const process = { own: true };\n"
                "class DOMException extends Error {}\n"
                "let self = 'mine';\n"
                "export const names =\n"
                "  [process.own, new DOMException('x') instanceof Error, self];\n"
            )
        },
        type="module",
    )
    make_package(
        "cjs-declares-its-own",
        {"index.js": "const Buffer = 'own'; class URL {}; module.exports = [Buffer, typeof URL];"},
    )
    make_package(
        "umd",
        {
            "index.js": (
                "(function (root, factory) { root.umdLoaded = factory(); })("
                "typeof self == 'object' && self.self === self && self ||"
                " typeof global == 'object' && global.global === global && global ||"
                " Function('return this')(), function () { return 'umd'; });\n"
                "module.exports = 'loaded';"
            )
        },
    )
    make_package(
        "ticks",
        {
            "index.js": (
                "module.exports = () => new Promise((done) => { const seen = [];"
                " process.nextTick((a, b) => seen.push(a + b), 1, 2);"
                " Promise.resolve().then(() => { seen.push('then'); done(seen); }); });"
            )
        },
    )
    return node_modules


@pytest.mark.parametrize("level", ["strict", "moderate", "permissive"])
def test_commonjs_module_scope(scoped: Path, level: str) -> None:
    assert (
        run_modules(scoped, ["cjs-scope"], "require('cjs-scope')", security_level=level) == EXPECTED
    )


@pytest.mark.parametrize("level", ["strict", "permissive"])
def test_es_module_scope(scoped: Path, level: str) -> None:
    got = run_modules(scoped, ["esm-scope"], "require('esm-scope').default", security_level=level)
    assert got == EXPECTED


def test_a_module_may_declare_the_scope_names_itself(scoped: Path) -> None:
    got = run_modules(scoped, ["declares-its-own"], "require('declares-its-own').names")
    assert got == [True, True, "mine"]
    got = run_modules(scoped, ["cjs-declares-its-own"], "require('cjs-declares-its-own')")
    assert got == ["own", "function"]


def test_the_usual_umd_probe_finds_the_global_object(scoped: Path) -> None:
    code = "[require('umd'), typeof globalThis.umdLoaded]"
    assert run_modules(scoped, ["umd"], code, security_level="permissive") == ["loaded", "string"]


def test_next_tick_runs_before_later_promise_reactions(scoped: Path) -> None:
    assert run_modules(scoped, ["ticks"], "return await require('ticks')()") == [3, "then"]


def test_the_sandboxs_code_has_no_process_buffer_or_global_at_strict(scoped: Path) -> None:
    with create_sandbox(allowed_modules=["cjs-scope"], module_paths=[str(scoped)]) as sandbox:
        for code in ["process.env", "Buffer.from('x')", "global.x"]:
            with pytest.raises(SecurityViolation):
                sandbox.interpret(code)
        assert sandbox.interpret("typeof globalThis['process']") == "undefined"
        assert sandbox.interpret("typeof globalThis['Buffer']") == "undefined"


def test_process_and_buffer_stay_out_of_the_global_object_at_every_level(scoped: Path) -> None:
    code = "[typeof globalThis.process, typeof globalThis.Buffer, require('cjs-scope')[4]]"
    got = run_modules(scoped, ["cjs-scope"], code, security_level="permissive")
    assert got == ["undefined", "undefined", "object"]
