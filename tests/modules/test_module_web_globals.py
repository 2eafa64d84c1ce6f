"""Module code has the web platform globals at every level, as packages that probe for them
expect (an id generator needs crypto.getRandomValues, a validator URL), even where the sandbox's
own code does not."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import create_sandbox

from .conftest import MakePackage


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


ID_PACKAGE = """
const random = (n) => crypto.getRandomValues(new Uint8Array(n));
exports.id = () => Array.from(random(8), (b) => b.toString(16).padStart(2, '0')).join('');
exports.uuid = () => crypto.randomUUID();
exports.host = (text) => new URL(text).hostname;
exports.encoded = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
"""


@pytest.fixture
def ids(make_package: MakePackage, node_modules: Path) -> Path:
    make_package("ids", {"index.js": ID_PACKAGE}, main="index.js")
    make_package("plain", {"index.js": "exports.kinds = [typeof URL, typeof crypto];"})
    return node_modules


@pytest.mark.parametrize("level", ["strict", "moderate", "permissive"])
def test_module_code_has_them_at_every_level(ids: Path, level: str) -> None:
    with create_sandbox(
        security_level=level, allowed_modules=["ids"], module_paths=[str(ids)]
    ) as box:
        code = """const ids = require('ids');
                  return [ids.id().length, ids.uuid().length, ids.host('https://a.test/x'),
                          ids.encoded('hé')]"""
        assert box.interpret(code, return_raw_result=True) == [16, 36, "a.test", "aMOp"]


def test_at_strict_the_sandboxs_own_code_still_lacks_them(ids: Path) -> None:
    with create_sandbox(
        security_level="strict", allowed_modules=["ids", "plain"], module_paths=[str(ids)]
    ) as box:
        code = "require('ids'); return [typeof URL, typeof TextEncoder, require('plain').kinds]"
        assert box.interpret(code, return_raw_result=True) == [
            "undefined",
            "undefined",
            ["function", "object"],
        ]


def test_a_custom_level_gives_modules_those_it_leaves_out(ids: Path) -> None:
    with create_sandbox(
        security_level="custom",
        custom_security={"allowed_globals": ["URL", "Array", "String", "Uint8Array"]},
        allowed_modules=["ids"],
        module_paths=[str(ids)],
    ) as box:
        code = """const ids = require('ids');
                  return [typeof URL, typeof crypto, ids.uuid().length, ids.host('https://b.c')]"""
        assert box.interpret(code, return_raw_result=True) == ["function", "undefined", 36, "b.c"]
