"""JSON in and out of the service: bodies parsed with their nesting bounded, and responses
that any string can go into.

PYTEST_DONT_REWRITE (see code_interpreter.__init__)."""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import re
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["MAX_NESTING", "BodyRefused", "encode", "parse_object"]

# Deeper JSON nesting than this is refused before it is parsed: Python's parser would recurse
# into RecursionError near 1000 levels, and real contexts are far shallower.
MAX_NESTING = 256

# Outside strings, nesting is all that brackets say. With escapes gone (backslashes occur only
# inside strings), a string is a quote, non-quotes, a quote: one fast repeat to match.
_STRING = re.compile(rb'"[^"]*"')
# Objects count as arrays: the kinds matter to the parser, not to the depth. As +1 and -1
# (signed bytes), a running sum of the brackets is the depth at each.
_AS_STEPS = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# Shallow documents, the common case, empty within this many passes of pair removal, each
# a C scan; anything deeper takes one running sum.
_QUICK_PASSES = 8


class BodyRefused(ValueError):
    """The body is not a JSON object the service takes; the message says why."""


def nesting_exceeds(body: bytes | bytearray, limit: int) -> bool:
    """Whether `body` (JSON text) nests more than `limit` arrays and objects deep, in time
    linear in its size, at C speed. Malformed text may answer either way: the parser refuses
    it after."""
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    steps = _STRING.sub(b"", unescaped).translate(_AS_STEPS, _NOT_BRACKETS)
    # Each pass removes the innermost pairs: exactly one level.
    passes = min(limit, _QUICK_PASSES)
    for _ in range(passes):
        if not steps:
            return False
        steps = steps.replace(b"\x01\xff", b"")
    if not steps:
        return False
    return max(itertools.accumulate(memoryview(steps).cast("b"))) > limit - passes


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic collector off while a body's containers are made: it would otherwise walk
    the growing tree again and again (0.9 s against 0.15 s for 3.3 million arrays here). One
    pass over the new objects comes later, as for any allocation."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def parse_object(body: bytes | bytearray) -> dict[str, Any]:
    """The body as a JSON object; BodyRefused when it is not one, nests deeper than
    MAX_NESTING, or fails to parse in any way. Blocking: run it off the event loop."""
    if nesting_exceeds(body, MAX_NESTING):
        raise BodyRefused(f"the body is nested more than {MAX_NESTING} levels deep")
    try:
        with _collector_paused():
            payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BodyRefused("the body must be JSON") from None
    if not isinstance(payload, dict):
        raise BodyRefused("the body must be a JSON object")
    return payload


def encode(content: Any) -> bytes:
    """`content` as UTF-8 JSON. A lone surrogate (a JavaScript string may hold one) becomes
    one U+FFFD, as in console lines and TextEncoder's output."""
    text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        units = text.encode("utf-16-le", "surrogatepass")
        return units.decode("utf-16-le", "replace").encode("utf-8")
