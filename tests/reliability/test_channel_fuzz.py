"""Fuzz of the parent's reading of a worker's outcome message (process isolation): the parent
never trusts the channel, so any bytes must end in a value, a typed error or a refusal of the
message (ValueError "malformed: ..."), never a crash or a hang. The messages are built here
field by field as a worker writes them, then mutated. ci/fuzz runs it with more examples."""

from __future__ import annotations

import os
import struct
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from code_interpreter import ConversionError, JavaScriptError, _core

EXAMPLES = int(os.environ.get("CODE_INTERPRETER_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ValueKind and OutcomeKind as the core numbers them.
UNDEFINED, NULL, FALSE, TRUE, INT, DOUBLE, BIGINT, STRING = range(8)
DATE, BYTES, ARRAY, OBJECT, MAP, SET, REF = range(8, 15)


def text(data: bytes) -> bytes:
    return struct.pack("<Q", len(data)) + data


def node(
    kind: int,
    *,
    integer: int = 0,
    number: float = 0.0,
    data: bytes = b"",
    first: int = 0,
    count: int = 0,
    parent: int = 0,
    one_byte: bool = True,
) -> bytes:
    return (
        struct.pack("<BBqd", kind, one_byte, integer, number)
        + text(data)
        + struct.pack("<III", first, count, parent)
    )


def outcome(kind: int, nodes: list[bytes], *, wire: bytes = b"", message: bytes = b"") -> bytes:
    body = struct.pack("<BI", kind, len(nodes)) + b"".join(nodes) + text(wire)
    body += text(b"TypeError") + text(message) + text(b"") + struct.pack("<qq", 1, 2)
    body += text(b"") + struct.pack("<Q", 0)
    body += struct.pack("<I", 1) + text(b"log") + text(b"hi")
    body += struct.pack("<?ddQQQ", False, 1.5, 0.5, 10, 20, 0)
    body += struct.pack("<IQQddQQQQ", 1, 0, 0, -1.0, -1.0, 0, 0, 0, 0)
    # What the worker learned of the code for the recycled path: a state, two times, a module.
    body += struct.pack("<?B??BddIq", True, 1, True, False, 0, 1.5, 0.5, 1, 0)
    return body


# [1, "ab", {k: [..ref to the array..]}]
VALUE_SEED = outcome(
    0,
    [
        node(ARRAY, first=1, count=3),
        node(INT, integer=1, parent=0),
        node(STRING, data=b"ab", parent=0),
        node(OBJECT, first=4, count=2, parent=0),
        node(STRING, data=b"k", parent=3),
        node(REF, integer=0, parent=3),
    ],
)
ERROR_SEED = outcome(1, [], message=b"bad")


def read(payload: bytes) -> Any:
    try:
        return _core.read_worker_outcome(payload)
    except ValueError as error:
        assert str(error).startswith("malformed: ")
        return None
    except (ConversionError, UnicodeDecodeError, OverflowError):
        return None


def test_a_worker_message_reads_as_the_value_it_holds() -> None:
    kind, value = _core.read_worker_outcome(VALUE_SEED)
    assert kind == 0
    assert value[:2] == [1, "ab"] and value[2]["k"] is value
    kind, error = _core.read_worker_outcome(ERROR_SEED)
    assert isinstance(error, JavaScriptError) and error.name == "TypeError"


def test_trees_that_break_their_shape_are_refused() -> None:
    cases = {
        "children outside": [node(ARRAY, first=1, count=5), node(NULL)],
        "child before its parent": [node(ARRAY, first=0, count=1)],
        "two parents": [
            node(ARRAY, first=1, count=2),
            node(ARRAY, first=2, count=1, parent=0),
            node(NULL, parent=1),
        ],
        "reference to a leaf": [node(ARRAY, first=1, count=2), node(NULL), node(REF, integer=1)],
        "reference as root": [node(REF, integer=0)],
        "odd object": [node(OBJECT, first=1, count=1), node(STRING, data=b"k")],
        "odd two-byte string": [node(STRING, data=b"abc", one_byte=False)],
        "unknown kind": [node(99)],
    }
    for name, nodes in cases.items():
        try:
            _core.read_worker_outcome(outcome(0, nodes))
        except ValueError as error:
            assert "malformed" in str(error), name
        else:
            raise AssertionError(f"{name}: accepted")


def test_an_unknown_outcome_kind_and_trailing_bytes_are_refused() -> None:
    for payload in (b"\x63" + VALUE_SEED[1:], VALUE_SEED + b"\x00", VALUE_SEED[:-1], b""):
        assert read(payload) is None


def test_what_a_worker_learned_is_checked_before_it_is_passed_on() -> None:
    """The knowledge at the end of an outcome goes on to the pool's other workers: an unknown
    state, a time that is not a number or out of range, or too many modules is refused."""
    learned = struct.calcsize("<?B??BddIq")
    head = VALUE_SEED[:-learned]
    assert read(head + struct.pack("<?B??BddIq", True, 2, True, False, 0, 1.5, 0.5, 1, 3))
    for bad in (
        struct.pack("<?B??BddIq", True, 3, True, False, 0, 1.5, 0.5, 1, 0),
        struct.pack("<?B??BddIq", True, 1, True, False, 0, float("nan"), 0.5, 1, 0),
        struct.pack("<?B??BddIq", True, 1, True, False, 0, 1.5, 1e12, 1, 0),
        struct.pack("<?B??BddIq", True, 1, True, False, 0, 1.5, 0.5, 1, 1 << 40),
        struct.pack("<?B??BddI", True, 1, True, False, 0, 1.5, 0.5, 70_000),
    ):
        assert read(head + bad) is None, bad
    assert read(head + b"\x00")  # nothing learned


@FUZZ
@given(
    seed=st.sampled_from([VALUE_SEED, ERROR_SEED]),
    edits=st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 255), st.sampled_from("sid")),
        min_size=1,
        max_size=8,
    ),
)
def test_any_mutation_of_a_message_is_read_or_refused(seed: bytes, edits: list) -> None:
    data = bytearray(seed)
    for position, byte, how in edits:
        at = position % (len(data) + 1)
        if how == "s" and at < len(data):
            data[at] = byte
        elif how == "i":
            data.insert(at, byte)
        elif data and at < len(data):
            del data[at]
    read(bytes(data))


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_are_read_or_refused(data: bytes) -> None:
    read(data)


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.integers(0, 15),
            st.integers(-3, 8),
            st.integers(0, 9),
            st.integers(0, 4),
            st.integers(0, 9),
            st.binary(max_size=6),
            st.booleans(),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_any_tree_is_read_or_refused(rows: list) -> None:
    nodes = [
        node(
            kind,
            integer=integer,
            first=first,
            count=count,
            parent=parent,
            data=data,
            one_byte=one_byte,
        )
        for kind, integer, first, count, parent, data, one_byte in rows
    ]
    result = read(outcome(0, nodes))
    assert result is None or result[0] == 0
