"""The framing of the worker channel (process isolation): how a reading side cuts the byte
stream into messages, with its read-ahead (a read takes what has arrived, the start of the next
message included) and without it. Whatever way the bytes arrive, the same messages come out;
bytes that are not messages are refused ("malformed: ..."), never a crash, a hang or a message
made up. ci/fuzz runs it with more examples."""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from code_interpreter import _core

EXAMPLES = int(os.environ.get("CODE_INTERPRETER_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FIRST_TYPE, LAST_TYPE = 1, 8  # MessageType's range
READ_AHEAD = 16 << 10  # ChannelReader::kReadAhead


def frame(kind: int, payload: bytes) -> bytes:
    return struct.pack("<IB", len(payload) + 1, kind) + payload


def cut(stream: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({point % (len(stream) + 1) for point in cuts} | {0, len(stream)})
    return [stream[start:end] for start, end in zip(points, points[1:]) if end > start]


def read(chunks: list[bytes], read_ahead: bool, pause_us: int = 0) -> list | None:
    try:
        return _core.read_channel_frames(chunks, read_ahead, pause_us)
    except ValueError as error:
        assert str(error).startswith("malformed: "), error
        return None


@pytest.mark.parametrize("read_ahead", [True, False])
def test_messages_come_out_as_they_went_in_however_they_arrive(read_ahead: bool) -> None:
    messages = [(3, b"x" * 40), (4, b""), (6, os.urandom(READ_AHEAD * 3)), (5, b"end")]
    stream = b"".join(frame(kind, payload) for kind, payload in messages)
    whole = read([stream], read_ahead)
    byte_by_byte = read([stream[:200][i : i + 1] for i in range(200)] + [stream[200:]], read_ahead)
    in_pieces = read(cut(stream, [3, 7, 50, READ_AHEAD - 2, READ_AHEAD + 9]), read_ahead, 300)
    assert whole == byte_by_byte == in_pieces == messages


@pytest.mark.parametrize("read_ahead", [True, False])
def test_a_stream_that_is_not_messages_is_refused(read_ahead: bool) -> None:
    good = frame(4, b"ok")
    for bad in (
        struct.pack("<IB", 0, 4),  # no type
        struct.pack("<IB", 1, 0),  # type 0
        struct.pack("<IB", 1, LAST_TYPE + 1),
        struct.pack("<IB", (320 << 20) + 1, 4),  # longer than any message may be
        good + good[:3],  # cut inside a header
        good + frame(4, b"abcdef")[:-2],  # cut inside a body
    ):
        assert read([good + bad], read_ahead) is None, bad
    # A claimed length alone allocates nothing: the stream ends long before it.
    assert read([struct.pack("<IB", 300 << 20, 4) + b"abc"], read_ahead) is None


@FUZZ
@given(
    messages=st.lists(
        st.tuples(
            st.integers(FIRST_TYPE, LAST_TYPE),
            st.one_of(
                st.binary(max_size=64), st.binary(min_size=READ_AHEAD - 8, max_size=READ_AHEAD + 8)
            ),
        ),
        max_size=6,
    ),
    cuts=st.lists(st.integers(0, 1 << 20), max_size=8),
    read_ahead=st.booleans(),
)
def test_any_messages_cut_anywhere_come_out_whole(
    messages: list, cuts: list[int], read_ahead: bool
) -> None:
    stream = b"".join(frame(kind, payload) for kind, payload in messages)
    assert read(cut(stream, cuts), read_ahead, 50) == messages


@FUZZ
@given(data=st.binary(max_size=400), cuts=st.lists(st.integers(0, 400), max_size=4))
def test_any_bytes_are_read_or_refused(data: bytes, cuts: list[int]) -> None:
    ahead = read(cut(data, cuts), True)
    exact = read([data], False)
    assert ahead == exact  # both readers make the same of the same bytes
