"""Which contexts offer the web platform globals, what the scanner says of them, and that they
keep executions apart as everything else does."""

from __future__ import annotations

import sys

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import SecurityViolation, create_sandbox


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


NAMES = [
    "URL",
    "URLSearchParams",
    "TextEncoder",
    "TextDecoder",
    "atob",
    "btoa",
    "structuredClone",
    "queueMicrotask",
    "crypto",
    "performance",
    "AbortController",
    "AbortSignal",
    "EventTarget",
    "Event",
    "CustomEvent",
    "DOMException",
]
TYPES = f"{NAMES!r}.map((n) => typeof globalThis[n])"


@pytest.mark.parametrize("level", ["moderate", "permissive"])
def test_moderate_and_permissive_offer_every_one(level: str) -> None:
    with create_sandbox(security_level=level) as box:
        types = box.interpret(TYPES, return_raw_result=True)
        assert dict(zip(NAMES, types)) == {
            name: "object" if name in ("crypto", "performance") else "function" for name in NAMES
        }


def test_strict_offers_none() -> None:
    with create_sandbox(security_level="strict") as box:
        assert box.interpret(TYPES, return_raw_result=True) == ["undefined"] * len(NAMES)


def test_custom_offers_exactly_those_its_allowed_globals_list() -> None:
    allowed = ["URL", "TextEncoder", "Array", "globalThis", "typeof"]
    with create_sandbox(
        security_level="custom", custom_security={"allowed_globals": allowed}
    ) as box:
        types = dict(zip(NAMES, box.interpret(TYPES, return_raw_result=True)))
        assert {name for name, kind in types.items() if kind != "undefined"} == {
            "URL",
            "TextEncoder",
        }
        assert box.interpret("new URL('https://a.test/b').pathname") == "/b"


def test_the_scanner_lets_them_pass_except_crypto_at_strict() -> None:
    code = "crypto.randomUUID().length + new URL('https://a.test').href.length"
    for level in ("moderate", "permissive"):
        with create_sandbox(security_level=level) as box:
            assert box.interpret(code) == "51"
    with create_sandbox(security_level="strict") as box, pytest.raises(SecurityViolation) as hit:
        box.interpret(code)
    assert hit.value.pattern == "crypto"


def test_an_event_listener_of_one_execution_is_gone_in_the_next() -> None:
    with create_sandbox(security_level="moderate") as box:
        first = """globalThis.target = new EventTarget();
                   globalThis.heard = [];
                   target.addEventListener('x', () => heard.push('first'));
                   EventTarget.prototype.dispatchEvent = () => 'patched';
                   target.dispatchEvent(new Event('x')) + heard.length"""
        assert box.interpret(first) == "patched0"
        second = """const t = new EventTarget(); const heard = [];
                    t.addEventListener('x', () => heard.push('second'));
                    [typeof target, typeof globalThis.heard, t.dispatchEvent(new Event('x')),
                     heard]"""
        assert box.interpret(second, return_raw_result=True) == [
            "undefined",
            "undefined",
            True,
            ["second"],
        ]


def test_a_microtask_that_throws_does_not_end_the_execution() -> None:
    with create_sandbox(security_level="moderate") as box:
        code = "queueMicrotask(() => { throw new Error('late') }); queueMicrotask(() => {}); 'done'"
        assert box.interpret(code) == "done"


def test_a_persistent_context_keeps_its_listeners() -> None:
    with create_sandbox(security_level="moderate", persistent_context=True) as box:
        box.interpret("var t = new EventTarget(); var n = 0; t.addEventListener('x', () => n++)")
        assert box.interpret("t.dispatchEvent(new Event('x')); n") == "1"


def test_the_time_origin_is_the_contexts_own() -> None:
    with create_sandbox(security_level="moderate") as box:
        origins = {box.interpret("performance.timeOrigin") for _ in range(3)}
        assert len(origins) == 3  # each execution's new context has one of its own
