"""Results and contexts shaped to blow up the conversion: depth, sharing, width. Objects
100,000 deep, the [a, a] doubling DAG and 5e6-element arrays are pinned in
tests/api/test_conversion.py; these are the other shapes."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import ConversionError, ExecutionTimeout, MemoryLimitExceeded, Sandbox


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


DEEP_RESULTS = {
    "arrays": "let o = []; for (let i = 0; i < 100000; i++) o = [o]; o",
    "Maps": "let o = new Map(); for (let i = 0; i < 100000; i++) o = new Map([[0, o]]); o",
    "Sets": "let o = new Set(); for (let i = 0; i < 100000; i++) o = new Set([o]); o",
    "objects under a Map key": (
        "let o = {}; for (let i = 0; i < 100000; i++) o = {o}; new Map([['k', o]])"
    ),
}


@pytest.mark.parametrize("code", DEEP_RESULTS.values(), ids=DEEP_RESULTS.keys())
def test_hundred_thousand_deep_result_of_any_container_is_a_conversion_error(
    bare: Sandbox, code: str
) -> None:
    with pytest.raises(ConversionError, match="nested more than"):
        bare.interpret(code, return_raw_result=True)
    assert bare.interpret("'ok'") == "ok"


def test_result_just_within_the_depth_bound_converts(bare: Sandbox) -> None:
    value = bare.interpret(
        "let o = 0; for (let i = 0; i < 1000; i++) o = [o]; o", return_raw_result=True
    )
    depth = 0
    while isinstance(value, list):
        value = value[0]
        depth += 1
    assert (depth, value) == (1000, 0)


def test_deep_python_context_of_dicts_and_tuples_is_a_conversion_error(bare: Sandbox) -> None:
    deep: Any = 0
    for i in range(100_000):
        deep = {"d": deep} if i % 2 else (deep,)
    with pytest.raises(ConversionError, match="nested"):
        bare.interpret("1", {"deep": deep})
    assert bare.interpret("'ok'") == "ok"


DAG_RESULTS = {
    "object DAG": "let a = {v: 1}; for (let i = 0; i < 64; i++) a = {l: a, r: a}; a",
    "Map DAG": "let a = new Map(); for (let i = 0; i < 64; i++) a = new Map([[1, a], [2, a]]); a",
    "array DAG of width 3": "let a = [1]; for (let i = 0; i < 40; i++) a = [a, a, a]; a",
}


@pytest.mark.parametrize("code", DAG_RESULTS.values(), ids=DAG_RESULTS.keys())
def test_exponential_dag_result_stays_small_in_raw_mode(bare: Sandbox, code: str) -> None:
    value = bare.interpret(code, return_raw_result=True)
    seen: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if id(item) in seen or not isinstance(item, (dict, list)):
            continue
        seen.add(id(item))
        stack.extend(item.values() if isinstance(item, dict) else item)
    assert len(seen) <= 65  # one Python container per JS container: sharing preserved


@pytest.mark.parametrize("code", DAG_RESULTS.values(), ids=DAG_RESULTS.keys())
def test_exponential_dag_result_stringified_ends_in_a_typed_outcome(
    bare: Sandbox, code: str
) -> None:
    # JSON has no sharing: the text would be exponential. Maps stringify as {}.
    if "Map" in code:
        assert bare.interpret(code) == "{}"
        return
    with pytest.raises((ExecutionTimeout, MemoryLimitExceeded, ConversionError)):
        bare.interpret(code, timeout=1000)
    assert bare.interpret("'ok'") == "ok"


def test_exponential_dag_logged_to_the_console_ends_in_a_typed_outcome(bare: Sandbox) -> None:
    code = "let a = [1]; for (let i = 0; i < 64; i++) a = [a, a]; console.log(a); 'done'"
    try:
        result = bare.execute(code, timeout=1000)
    except (ExecutionTimeout, MemoryLimitExceeded):
        return
    assert result.value == "done"
    assert sum(len(line.text) for line in result.console) <= 2 << 20


def test_python_context_dag_is_sent_once(bare: Sandbox) -> None:
    value: Any = {"leaf": 1}
    for _ in range(64):
        value = {"l": value, "r": value}
    code = "let n = 0, v = context.v; while (v.l) { if (v.l !== v.r) throw 1; v = v.l; n++ } n"
    assert bare.interpret(code, {"v": value}) == "64"


def test_result_with_a_million_keys_converts() -> None:
    from code_interpreter import create_sandbox

    with create_sandbox(memory_limit_mb=512, max_execution_time=30_000) as box:
        value = box.interpret(
            "const o = {}; for (let i = 0; i < 1e6; i++) o['k' + i] = i; o",
            return_raw_result=True,
        )
        assert len(value) == 1_000_000 and value["k999999"] == 999_999


def test_context_with_too_many_values_is_a_conversion_error(bare: Sandbox) -> None:
    with pytest.raises(ConversionError, match="more than"):
        bare.interpret("1", {"v": [0] * 5_000_000})


def test_cyclic_map_key_is_a_conversion_error_not_a_loop(bare: Sandbox) -> None:
    with pytest.raises(ConversionError, match="unhashable"):
        bare.interpret("const m = new Map(); m.set(m, 1); m", return_raw_result=True)


def test_cycle_through_every_container_kind_is_preserved(bare: Sandbox) -> None:
    code = """
        const o = {}; const a = [o]; const m = new Map([['a', a]]); o.m = m; o.self = o; o
    """
    value = bare.interpret(code, return_raw_result=True)
    assert value["self"] is value
    assert value["m"]["a"][0] is value
