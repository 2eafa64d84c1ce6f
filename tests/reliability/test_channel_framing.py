"""The framing of the worker channel (process isolation): how the parent's end cuts the bytes of
the worker's shared ring into messages. Whatever way the bytes arrive (a message at once, a byte
at a time, messages larger than the ring, with the reader asleep between them), the same
messages come out; bytes that are not messages, and counters in the shared memory that a
worker could not have written honestly, are refused ("malformed: ..."), never a crash, a hang
or a message made up. ci/fuzz runs it with more examples."""

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
RING = 128 << 10  # kRingBytes: one direction's ring


def frame(kind: int, payload: bytes) -> bytes:
    return struct.pack("<IB", len(payload) + 1, kind) + payload


def cut(stream: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({point % (len(stream) + 1) for point in cuts} | {0, len(stream)})
    return [stream[start:end] for start, end in zip(points, points[1:]) if end > start]


def read(chunks: list[bytes], pause_us: int = 0, tamper: str = "") -> list | None:
    try:
        return _core.read_channel_frames(chunks, pause_us, tamper)
    except ValueError as error:
        assert str(error).startswith("malformed: "), error
        return None


def test_messages_come_out_as_they_went_in_however_they_arrive() -> None:
    # The third is larger than the ring: its writer waits for room as the reader frees it.
    messages = [(3, b"x" * 40), (4, b""), (6, os.urandom(RING * 3 + 17)), (5, b"end")]
    stream = b"".join(frame(kind, payload) for kind, payload in messages)
    whole = read([stream])
    byte_by_byte = read([stream[:200][i : i + 1] for i in range(200)] + [stream[200:]])
    # Pauses longer than a reader's spin: it sleeps, and the writer rings it awake.
    in_pieces = read(cut(stream, [3, 7, 50, RING - 2, RING + 9]), 300)
    assert whole == byte_by_byte == in_pieces == messages


def test_the_ring_wraps_around_many_times() -> None:
    messages = [(6, os.urandom(size)) for size in (RING - 5, 1, RING // 3, 7, RING + 1)] * 4
    stream = b"".join(frame(kind, payload) for kind, payload in messages)
    assert read(cut(stream, list(range(0, len(stream), 40_000)))) == messages


def test_a_stream_that_is_not_messages_is_refused() -> None:
    good = frame(4, b"ok")
    for bad in (
        struct.pack("<IB", 0, 4),  # no type
        struct.pack("<IB", 1, 0),  # type 0
        struct.pack("<IB", 1, LAST_TYPE + 1),
        struct.pack("<IB", (320 << 20) + 1, 4),  # longer than any message may be
        good + good[:3],  # cut inside a header
        good + frame(4, b"abcdef")[:-2],  # cut inside a body
    ):
        assert read([good + bad]) is None, bad
    # A claimed length alone allocates nothing: the stream ends long before it.
    assert read([struct.pack("<IB", 300 << 20, 4) + b"abc"]) is None


@pytest.mark.parametrize("tamper", ["written", "read"])
def test_counters_a_worker_could_not_have_written_are_refused(tamper: str) -> None:
    # After whole messages: what came before is read, then the lie is found.
    assert read([frame(4, b"ok")], tamper=tamper) is None
    assert read([frame(4, b"ok")]) == [(4, b"ok")]


# About a ring's size, around its edge; a short pattern repeated (drawing that many bytes one by
# one would cost the fuzz most of its time).
ring_sized = st.builds(
    lambda size, pattern: (pattern * (size // len(pattern) + 1))[:size],
    st.integers(RING - 8, RING + 8),
    st.binary(min_size=1, max_size=16),
)


@FUZZ
@given(
    messages=st.lists(
        st.tuples(
            st.integers(FIRST_TYPE, LAST_TYPE),
            st.one_of(st.binary(max_size=64), ring_sized),
        ),
        max_size=6,
    ),
    cuts=st.lists(st.integers(0, 1 << 20), max_size=8),
    pause_us=st.sampled_from([0, 50, 200]),
)
def test_any_messages_cut_anywhere_come_out_whole(
    messages: list, cuts: list[int], pause_us: int
) -> None:
    stream = b"".join(frame(kind, payload) for kind, payload in messages)
    assert read(cut(stream, cuts), pause_us) == messages


@FUZZ
@given(data=st.binary(max_size=400), cuts=st.lists(st.integers(0, 400), max_size=4))
def test_any_bytes_are_read_or_refused(data: bytes, cuts: list[int]) -> None:
    in_pieces = read(cut(data, cuts), 20)
    whole = read([data])
    assert in_pieces == whole  # however they come, the same bytes make the same messages
