from __future__ import annotations

import pytest
from tests.conftest import RECYCLES

from code_interpreter import JavaScriptError, Sandbox, create_sandbox, quick_interpret


def test_quick_interpret_gives_the_stringified_result() -> None:
    assert quick_interpret("2 + 3 * 4") == "14"


def test_expression_statements_return_and_await_forms(sandbox: Sandbox) -> None:
    assert sandbox.interpret("Math.sqrt(16) + 5") == "9"
    assert sandbox.interpret("let x = 2; x * 21") == "42"
    assert (
        sandbox.interpret(
            """
            const numbers = [1, 2, 3, 4, 5];
            return numbers.reduce((sum, n) => sum + n * n, 0);
            """
        )
        == "55"
    )
    assert sandbox.interpret("const v = await Promise.resolve(20); return v + 1") == "21"


def test_results_are_strings_as_they_are_objects_as_json_the_rest_as_string_v(
    sandbox: Sandbox,
) -> None:
    assert sandbox.interpret("'text'") == "text"
    assert sandbox.interpret("({a: [1, 'x', null]})") == '{"a":[1,"x",null]}'
    assert sandbox.interpret("undefined") == "undefined"
    assert sandbox.interpret("null") == "null"
    assert sandbox.interpret("10n ** 20n") == "100000000000000000000"
    assert sandbox.interpret("Symbol('s')") == "Symbol(s)"
    assert sandbox.interpret("0.1 + 0.2") == "0.30000000000000004"


def test_numbers_are_stringified_as_string_of_them_gives(sandbox: Sandbox) -> None:
    # Integers that fit 32 bits are written as digits directly; the rest go through V8's own
    # String(); both must agree with JavaScript for each value.
    cases = ["0", "-0", "7", "-5", "2 ** 31 - 1", "-(2 ** 31)", "2 ** 31", "-(2 ** 31) - 1"]
    cases += ["1e21", "1.5", "-1e-7", "NaN", "-Infinity", "2 ** 53 + 2", "0x7fffffff | 0"]
    for case in cases:
        assert sandbox.interpret(case) == sandbox.interpret(f"String({case})"), case
    assert sandbox.interpret("-(2 ** 31)") == "-2147483648"
    assert sandbox.interpret("-0") == "0"


def test_returned_promise_is_awaited(sandbox: Sandbox) -> None:
    assert sandbox.interpret("Promise.resolve(7)") == "7"
    assert sandbox.interpret("(async () => { await null; return [1] })()") == "[1]"


def test_rejected_promise_raises_the_rejection(sandbox: Sandbox) -> None:
    with pytest.raises(JavaScriptError) as caught:
        sandbox.interpret("Promise.reject(new RangeError('nope'))")
    assert caught.value.name == "RangeError"
    assert caught.value.message == "nope"


def test_promise_that_can_never_settle_is_an_error(sandbox: Sandbox) -> None:
    with pytest.raises(JavaScriptError, match="never settled"):
        sandbox.interpret("new Promise(() => {})")


def test_context_is_visible_as_context_and_as_globals(sandbox: Sandbox) -> None:
    code = "return [context.a, a, typeof Math.max, context.Math]"
    assert sandbox.interpret(code, {"a": 1, "Math": 2}, return_raw_result=True) == [
        1,
        1,
        "function",
        2,
    ]


def test_context_keys_that_are_not_identifiers_stay_on_context(sandbox: Sandbox) -> None:
    result = sandbox.interpret(
        "[context['my-key'], typeof globalThis['my-key'], Object.hasOwn(globalThis, 'let')]",
        {"my-key": 5, "let": 1},
        return_raw_result=True,
    )
    assert result == [5, "undefined", False]


def test_proto_key_in_context_does_not_pollute_prototypes(sandbox: Sandbox) -> None:
    result = sandbox.interpret(
        "[Object.getPrototypeOf(context) === Object.prototype, context.__proto__.polluted,"
        " ({}).polluted === undefined]",
        {"__proto__": {"polluted": True}},
        return_raw_result=True,
    )
    assert result == [True, True, True]


def test_fresh_context_keeps_no_state_between_executions(sandbox: Sandbox) -> None:
    sandbox.interpret("globalThis.leak = 1; Array.prototype.evil = 1; var v = 2")
    assert (
        sandbox.interpret("[typeof leak, typeof [].evil, typeof v]", return_raw_result=True)
        == ["undefined"] * 3
    )


def test_execution_count_counts_calls(sandbox: Sandbox) -> None:
    sandbox.interpret("1")
    sandbox.interpret("2")
    assert sandbox.execution_count == 2


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("return (await Promise.resolve(2)) * 3", 6),
        ("return [await Promise.resolve(1), 2]", [1, 2]),
        ("const x = (await Promise.resolve('a')); return x", "a"),
        ("let await = 1; return await + 1", 2),  # a sloppy script's identifier, not top-level await
        # Top-level await where a script would read `await` as a call or an index of a variable.
        ("return JSON.stringify(await Promise.resolve(3))", "3"),
        ("return await (async () => 5)()", 5),
        ("await (async () => 5)(); return 7", 7),
        ("const p = [Promise.resolve(4)]; return await p[0]", 4),
        ("const f = async () => { return await (1) }; return 'await' + await f()", "await1"),
    ],
)
def test_await_inside_expressions(sandbox: Sandbox, code: str, expected: object) -> None:
    assert sandbox.interpret(code, return_raw_result=True) == expected


def test_syntax_errors_stay_syntax_errors(sandbox: Sandbox) -> None:
    for code in ["return foo bar", "const awaited = 1; return awaited x", "(await 1"]:
        with pytest.raises(JavaScriptError) as raised:
            sandbox.interpret(code)
        assert raised.value.name == "SyntaxError"


@pytest.mark.parametrize(
    "code",
    [
        "return 1 }); globalThis.escaped = 1; (function () { return 2",
        "await 1 }); globalThis.escaped = 1; (async function () { return 2",
    ],
)
def test_code_that_closes_its_function_is_a_syntax_error_and_runs_nothing(
    isolation: str, code: str
) -> None:
    with create_sandbox(persistent_context=True, isolation=isolation) as box:
        for _ in range(2):  # compiled, then as the cache holds it
            with pytest.raises(JavaScriptError) as raised:
                box.interpret(code)
            assert raised.value.name == "SyntaxError"
        # A function body is compiled alone as one first. No V8 compiles an async body alone,
        # so that one is run once without side effects where V8 offers that, and is checked
        # only after it ran elsewhere.
        ran = "await" in code and not RECYCLES
        assert box.interpret("typeof escaped") == ("number" if ran else "undefined")
        assert box.interpret("await Promise.resolve(5); return 6") == "6"
