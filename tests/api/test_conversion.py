from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from code_interpreter import (
    ConversionError,
    ExecutionTimeout,
    MemoryLimitExceeded,
    Sandbox,
    create_sandbox,
)

UTC = dt.timezone.utc


def raw(box: Sandbox, code: str, context: dict[str, Any] | None = None) -> Any:
    return box.interpret(code, context, return_raw_result=True)


# -- JavaScript -> Python, one row of the mapping each ----------------------------------------
JS_TO_PY = [
    ("undefined", None),
    ("null", None),
    ("true", True),
    ("false", False),
    ("42", 42),
    ("-(2 ** 53)", -(2**53)),
    ("2 ** 53 + 2", 2.0**53 + 2),
    ("1.5", 1.5),
    ("Infinity", math.inf),
    ("-Infinity", -math.inf),
    ("12345678901234567890123456789n", 12345678901234567890123456789),
    ("-(2n ** 100n)", -(2**100)),
    ("'héllo ✓ 😀'", "héllo ✓ 😀"),
    ("'\\ud800x'", "\ud800x"),
    (
        "new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 250))",
        dt.datetime(2024, 2, 29, 12, 30, 15, 250000, UTC),
    ),
    ("[1, 'a', [null]]", [1, "a", [None]]),
    ("({a: 1, b: {c: 'd'}})", {"a": 1, "b": {"c": "d"}}),
    ("new Map([['k', 1], [2, 'v']])", {"k": 1, 2: "v"}),
    ("new Set([1, 'two'])", {1, "two"}),
    ("new Uint8Array([1, 2, 255]).buffer", b"\x01\x02\xff"),
    ("new Uint16Array([1, 256])", b"\x01\x00\x00\x01"),
    ("new Uint8Array([9, 8, 7]).subarray(1)", b"\x08\x07"),
    ("[, 1]", [None, 1]),
]


@pytest.mark.parametrize(("code", "expected"), JS_TO_PY, ids=[c for c, _ in JS_TO_PY])
def test_js_to_python_row(sandbox: Sandbox, code: str, expected: Any) -> None:
    value = raw(sandbox, code)
    assert value == expected
    assert type(value) is type(expected)


def test_negative_zero_and_nan_are_kept(sandbox: Sandbox) -> None:
    zero, nan = raw(sandbox, "[-0, NaN]")
    assert zero == 0 and math.copysign(1, zero) == -1 and isinstance(zero, float)
    assert math.isnan(nan)


def test_class_instances_become_dicts_of_own_enumerable_properties(sandbox: Sandbox) -> None:
    code = "class P { constructor() { this.x = 1 } get y() { return 2 } }; new P()"
    assert raw(sandbox, code) == {"x": 1}


def test_invalid_date_is_a_conversion_error(sandbox: Sandbox) -> None:
    with pytest.raises(ConversionError, match=r"result\.d"):
        raw(sandbox, "({d: new Date(NaN)})")


# -- Python -> JavaScript ---------------------------------------------------------------------
def test_python_values_arrive_with_their_javascript_types(sandbox: Sandbox) -> None:
    context = {
        "big": 2**70,
        "small": 2**53,
        "data": b"\x00\x01",
        "pair": (1, 2),
        "members": {3},
        "when": dt.datetime(2020, 1, 2, 3, 4, 5, 6000, UTC),
        "naive": dt.datetime(2020, 1, 2, 3, 4, 5),
        "nothing": None,
        "ratio": 0.25,
    }
    code = """[typeof big, big === 2n ** 70n, typeof small, data instanceof Uint8Array, data[1],
               Array.isArray(pair), members instanceof Set, members.has(3),
               when.toISOString(), naive.toISOString(), nothing, ratio]"""
    assert raw(sandbox, code, context) == [
        "bigint",
        True,
        "number",
        True,
        1,
        True,
        True,
        True,
        "2020-01-02T03:04:05.006Z",
        "2020-01-02T03:04:05.000Z",
        None,
        0.25,
    ]


@pytest.mark.parametrize(
    ("context", "path"),
    [
        ({"a": [1, object()]}, r"context\.a\[1\]"),
        ({"f": len}, r"context\.f"),
        ({"x": {"y": dt.date(2020, 1, 1)}}, r"context\.x\.y"),
        ({"k": {(1, 2): 3}}, r"context\.k"),
    ],
)
def test_unsupported_python_values_raise_type_error_with_path(
    sandbox: Sandbox, context: dict[str, Any], path: str
) -> None:
    with pytest.raises(TypeError, match=path):
        sandbox.interpret("1", context)


def test_int_dict_keys_become_strings(sandbox: Sandbox) -> None:
    assert raw(sandbox, "Object.keys(context.m)", {"m": {1: "a", 2: "b"}}) == ["1", "2"]


# -- References, cycles, nesting, size --------------------------------------------------------
def test_javascript_cycles_and_shared_references_are_preserved(sandbox: Sandbox) -> None:
    value = raw(sandbox, "const s = {n: 1}; const o = {a: s, b: s, list: [s]}; o.self = o; o")
    assert value["a"] is value["b"] is value["list"][0]
    assert value["self"] is value


def test_python_cycles_and_shared_references_are_preserved(sandbox: Sandbox) -> None:
    shared = {"n": 1}
    loop: list[Any] = [shared, shared]
    loop.append(loop)
    code = "[context.v[0] === context.v[1], context.v[2] === context.v]"
    assert raw(sandbox, code, {"v": loop}) == [True, True]


def test_many_shared_python_containers_keep_their_identity(sandbox: Sandbox) -> None:
    # Thousands of containers, each sent twice: every second mention is a reference.
    items = [{"i": i} for i in range(3000)]
    code = "context.v.every((x, i) => i < 3000 ? x === context.v[i + 3000] : x.i === i - 3000)"
    assert raw(sandbox, code, {"v": items + items}) is True


def test_many_distinct_short_strings_come_back_exactly(sandbox: Sandbox) -> None:
    # More distinct short keys and values than results share str objects for, many of them
    # colliding; Latin-1 and ASCII, at and around the shortest and the longest shared length.
    words = [f"{c}{i}" for i in range(2500) for c in ("k", "\u00e9", "\u00ff")]
    words += ["", "x" * 23, "x" * 24, "x" * 25, "\u00e9" * 24, "\u00e9" * 25]
    code = "Object.fromEntries(context.words.map((w, i) => [w, [w, i, w.length]]))"
    expected = {w: [w, i, len(w)] for i, w in enumerate(words)}
    assert raw(sandbox, code, {"words": words}) == expected


def test_shared_reference_blowup_stays_small_in_raw_mode(sandbox: Sandbox) -> None:
    value = raw(sandbox, "let a = [1]; for (let i = 0; i < 64; i++) a = [a, a]; a")
    for _ in range(64):
        assert value[0] is value[1]
        value = value[0]
    assert value == [1]


def test_shared_reference_blowup_stringified_fails_cleanly() -> None:
    with create_sandbox(memory_limit_mb=32, max_execution_time=1000) as box:
        with pytest.raises((ExecutionTimeout, MemoryLimitExceeded, ConversionError)):
            box.interpret("let a = [1]; for (let i = 0; i < 64; i++) a = [a, a]; a")
        assert box.interpret("1") == "1"


def test_python_shared_reference_blowup_is_sent_once(sandbox: Sandbox) -> None:
    value: list[Any] = [1]
    for _ in range(64):
        value = [value, value]
    assert raw(sandbox, "context.v[0] === context.v[1]", {"v": value}) is True


@pytest.mark.parametrize("raw_result", [True, False], ids=["raw", "stringified"])
def test_hundred_thousand_deep_javascript_result_is_a_conversion_error(
    sandbox: Sandbox, raw_result: bool
) -> None:
    code = "let o = {}; for (let i = 0; i < 100000; i++) o = {o}; o"
    with pytest.raises(ConversionError):
        sandbox.interpret(code, return_raw_result=raw_result)
    assert sandbox.interpret("'ok'") == "ok"


def test_hundred_thousand_deep_python_context_is_a_conversion_error(sandbox: Sandbox) -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ConversionError, match="nested"):
        sandbox.interpret("1", {"deep": deep})


def test_function_and_symbol_results_name_their_path(sandbox: Sandbox) -> None:
    with pytest.raises(ConversionError, match=r"function at result\.a\[3\]"):
        raw(sandbox, "({a: [1, 2, 3, () => 1]})")
    with pytest.raises(ConversionError, match=r"Symbol at result\.m\.x"):
        raw(sandbox, "({m: {x: Symbol('s')}})")


def test_unhashable_map_key_is_a_conversion_error(sandbox: Sandbox) -> None:
    with pytest.raises(ConversionError, match="unhashable"):
        raw(sandbox, "new Map([[[1], 2]])")


def test_result_with_too_many_values_is_a_conversion_error() -> None:
    with (
        create_sandbox(memory_limit_mb=512, max_execution_time=20_000) as box,
        pytest.raises(ConversionError, match="more than"),
    ):
        raw(box, "new Array(5e6).fill(0)")


# -- Property: JSON-like Python values round-trip unchanged ------------------------------------
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF))
    | st.binary(max_size=64)
    | st.datetimes(
        min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=st.just(UTC)
    ).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=values)
def test_python_values_round_trip_through_javascript(sandbox: Sandbox, value: Any) -> None:
    assert raw(sandbox, "context.v", {"v": value}) == value


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=json_values)
def test_values_built_by_javascript_convert_back_unchanged(sandbox: Sandbox, value: Any) -> None:
    # JSON text parsed inside JS: the result is made by the engine, not a copy of our input.
    assert raw(sandbox, "JSON.parse(context.text)", {"text": json.dumps(value)}) == value
