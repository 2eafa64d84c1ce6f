import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from code_interpreter import Sandbox, SecurityViolation, create_sandbox
from code_interpreter._scanner import LEVELS, Scanner

STRICT_HITS = {
    "require": "require('fs')",
    "import": "import('x')",
    "eval": "eval('1')",
    "Function": "new Function('return 1')",
    "process": "process.env",
    "global": "global.x",
    "Buffer": "Buffer.from('x')",
    "fs": "fs.readFileSync('/etc/passwd')",
    "child_process": "child_process.exec('ls')",
    "crypto": "crypto.getRandomValues(new Uint8Array(4))",
    "eval (unicode escape)": "\\u0065val('1')",
    "eval (braced escape)": "\\u{65}val('1')",
    "eval in template substitution": "`${eval('1')}`",
    "require after comment": "/* x */ require ('fs')",
}


@pytest.mark.parametrize("code", STRICT_HITS.values(), ids=STRICT_HITS.keys())
def test_strict_patterns_refuse_the_code(sandbox: Sandbox, code: str) -> None:
    with pytest.raises(SecurityViolation) as caught:
        sandbox.interpret(code)
    assert caught.value.pattern and caught.value.reason


FALSE_POSITIVES = {
    "word in a string": "'please do not eval this'",
    "word in a double-quoted string": '"require process fs"',
    "word in a comment": "// eval(x)\n1",
    "word in a block comment": "/* require('fs') */ 1",
    "word in template text": "`eval ${1 + 1} process`",
    "word in a regex": "/eval|process/.test('x')",
    "property name": "({ a: 1 }).process",
    "object key": "({ process: 1, fs: 2 }).fs",
    "optional member": "({}).eval?.x",
    "longer identifier": "const evaluate = 1, processed = 2, globalThis_ = 3; evaluate",
    "division then identifier": "const a = 4, b = 2; a / b / 1",
}


@pytest.mark.parametrize("code", FALSE_POSITIVES.values(), ids=FALSE_POSITIVES.keys())
def test_blocked_words_outside_code_do_not_trip_the_scanner(sandbox: Sandbox, code: str) -> None:
    sandbox.interpret(code)


def test_moderate_and_permissive_patterns() -> None:
    with create_sandbox(security_level="moderate") as box:
        box.interpret("typeof Buffer")  # Buffer is not a moderate pattern (and not there)
        with pytest.raises(SecurityViolation, match="process"):
            box.interpret("process.exit()")
    with create_sandbox(security_level="permissive") as box:
        box.interpret("typeof process")
        with pytest.raises(SecurityViolation, match=r"process\.exit"):
            box.interpret("process.exit(1)")
        with pytest.raises(SecurityViolation, match="unlink"):
            box.interpret("fs.unlinkSync('/x')")


def test_custom_blocked_patterns_match_the_raw_source() -> None:
    custom = {"blocked_patterns": [r"delete\s+", re.compile(r"\.constructor")]}
    with create_sandbox(security_level="custom", custom_security=custom) as box:
        with pytest.raises(SecurityViolation) as caught:
            box.interpret("const o = {a: 1}; delete o.a")
        assert caught.value.pattern == r"delete\s+"
        with pytest.raises(SecurityViolation):
            box.interpret("'x'.constructor")
        assert box.interpret("'deleted'") == "deleted"


def test_custom_validators_refuse_with_their_reason() -> None:
    def no_bitcoin(code: str) -> dict[str, object]:
        if "bitcoin" in code:
            return {"valid": False, "reason": "Cryptocurrency operations blocked"}
        return {"valid": True}

    custom = {"custom_validators": [no_bitcoin]}
    with create_sandbox(security_level="custom", custom_security=custom) as box:
        with pytest.raises(SecurityViolation, match="Cryptocurrency") as caught:
            box.interpret("const bitcoin = 1")
        assert caught.value.pattern == "custom_validator"
        assert box.interpret("1") == "1"


def test_verdicts_are_cached_by_code() -> None:
    calls: list[str] = []

    def counting(code: str) -> dict[str, object]:
        calls.append(code)
        return {"valid": True}

    custom = {"custom_validators": [counting]}
    with create_sandbox(security_level="custom", custom_security=custom) as box:
        for _ in range(5):
            box.interpret("1 + 1")
        box.interpret("2 + 2")
    assert calls == ["1 + 1", "2 + 2"]


def test_violations_are_counted_and_fire_events() -> None:
    seen = []
    with create_sandbox() as box:
        box.on("security:violation", seen.append)
        for _ in range(3):
            with pytest.raises(SecurityViolation):
                box.interpret("require('fs')")
        metrics = box.get_metrics()
    assert metrics["security"]["violation_attempts"] == 3
    assert "require" in metrics["security"]["blocked_patterns"]
    assert [event.pattern for event in seen] == ["require"] * 3
    assert seen[0].code == "require('fs')"


identifiers = st.from_regex(r"[a-z_$][a-z0-9_$]{0,8}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(word=st.sampled_from(["eval", "require", "process", "Function"]), text=st.text(max_size=30))
def test_blocked_word_in_any_string_literal_never_trips(word: str, text: str) -> None:
    literal = repr(text + word + text)  # a valid JS string literal for these characters
    if "\\x" in literal or "\\u" in literal or "\\U" in literal or "\\N" in literal:
        return
    scanner = Scanner(LEVELS["strict"], None)
    scanner.check(f"const s = {literal}; s.length")


@settings(max_examples=300, deadline=None)
@given(prefix=identifiers, suffix=identifiers)
def test_blocked_word_inside_a_longer_identifier_never_trips(prefix: str, suffix: str) -> None:
    scanner = Scanner(LEVELS["strict"], None)
    scanner.check(f"let {prefix}eval{suffix} = 1")


@settings(max_examples=200, deadline=None)
@given(before=identifiers, after=st.sampled_from([";", "(1)", ".x", " "]))
def test_blocked_word_as_an_identifier_always_trips(before: str, after: str) -> None:
    scanner = Scanner(LEVELS["strict"], None)
    with pytest.raises(SecurityViolation):
        scanner.check(f"let {before} = 1; eval{after}")
