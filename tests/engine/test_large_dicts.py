"""Dicts of 128 keys or more reach fresh-mode contexts as dictionary-mode objects built in one
go (core/values/wire.h): JavaScript must see exactly the object V8's own reading would build."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from code_interpreter import ConversionError, create_sandbox

LARGE = 300  # past the 128 keys from which the large form is written

# What JavaScript sees of an object: own keys in order, values, prototype, attributes.
DESCRIBE = """
const o = context.value;
return {
  keys: Reflect.ownKeys(o),
  forIn: (() => { const k = []; for (const key in o) k.push(key); return k })(),
  proto: Object.getPrototypeOf(o) === Object.prototype,
  extensible: Object.isExtensible(o),
  attributes: Object.values(Object.getOwnPropertyDescriptors(o)).every(
    d => d.writable && d.enumerable && d.configurable),
  json: JSON.stringify(o),
}
"""


def described(persistent: bool, value: Any) -> Any:
    with create_sandbox(persistent_context=persistent) as box:
        return box.interpret(DESCRIBE, {"value": value}, return_raw_result=True)


@pytest.mark.parametrize(
    "value",
    [
        {f"k{i}": i for i in range(LARGE)},
        # Integer-like keys are elements: they come first, in ascending order.
        {**{str(LARGE - i): i for i in range(LARGE)}, "b": 1, "a": 2},
        {**{f"k{i}": [i] for i in range(LARGE)}, "__proto__": {"x": 1}, "é": "ü", "𝄞": "∞"},
        {i: i * 2 for i in range(LARGE)},
    ],
    ids=["strings", "integer-like", "special-keys", "int-keys"],
)
def test_large_dicts_look_the_same_in_fresh_and_persistent_contexts(value: Any) -> None:
    fresh = described(False, value)
    assert fresh == described(True, value)  # the persistent mode writes V8's own form
    assert fresh["proto"] and fresh["extensible"] and fresh["attributes"]
    assert len(fresh["keys"]) == len(value)


def test_large_dicts_convert_back_unchanged() -> None:
    data = {f"k{i}": {"id": i, "tags": ["a", "b"], "nested": {"n": i}} for i in range(1000)}
    with create_sandbox() as box:
        for _ in range(3):
            assert (
                box.interpret("return context.data", {"data": data}, return_raw_result=True) == data
            )
            assert (
                box.interpret(
                    "globalThis.g = 1; return data", {"data": data}, return_raw_result=True
                )
                == data
            )


def test_shared_and_self_references_through_large_dicts_are_kept() -> None:
    big: dict[str, Any] = {f"k{i}": i for i in range(LARGE)}
    shared = {"n": 1}
    big["shared_a"] = shared
    big["shared_b"] = shared
    code = "const b = context.value; return [b.shared_a === b.shared_b, b.self === b, b.k7]"
    with create_sandbox() as box:
        assert box.interpret(code, {"value": big}, return_raw_result=True) == [True, False, 7]
        big["self"] = big  # a cycle through the large dict itself: written in V8's own form
        assert box.interpret(code, {"value": big}, return_raw_result=True) == [True, True, 7]
        outer = {"list": [big, big]}
        assert box.interpret(
            "const l = context.value.list; return l[0] === l[1] && l[0].self === l[0]",
            {"value": outer},
            return_raw_result=True,
        )


def test_large_custom_globals_reach_every_fresh_context() -> None:
    table = {f"code{i}": i for i in range(500)}
    with create_sandbox(custom_globals={"table": table}) as box:
        for _ in range(5):
            assert (
                box.interpret("globalThis.x = 1; table.code499 + Object.keys(table).length")
                == "999"
            )
            assert box.interpret("table.code1 = 7; table.code1") == "7"
        assert box.interpret("table.code1") == "1"


def test_a_large_dict_that_changes_while_converted_is_a_conversion_error() -> None:
    big: dict[str, Any] = {f"k{i}": i for i in range(LARGE)}

    class Meddling(datetime.tzinfo):
        """Python code that runs in the middle of the conversion, and shrinks the dict."""

        def utcoffset(self, moment: datetime.datetime | None) -> datetime.timedelta:
            big.pop(f"k{LARGE - 1}", None)
            return datetime.timedelta(0)

    big["k0"] = datetime.datetime(2024, 1, 1, tzinfo=Meddling())
    with create_sandbox() as box:
        with pytest.raises(ConversionError, match="changed size"):
            box.interpret("1", {"value": big})
        assert (
            box.interpret("context.value.k5", {"value": {f"k{i}": i for i in range(LARGE)}}) == "5"
        )
