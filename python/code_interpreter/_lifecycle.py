"""One background thread for every sandbox's timed kills: lifetime (`timeout_ms`) and idle
cleanup (`auto_cleanup`). Holds sandboxes weakly, so it never keeps one alive.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["schedule"]

_lock = threading.Condition()
_queue: list[tuple[float, int, weakref.ref[Any], Callable[[Any], None]]] = []
_sequence = itertools.count()
_thread: threading.Thread | None = None


def schedule(when: float, owner: object, action: Callable[[Any], None]) -> None:
    """Calls ``action(owner)`` at monotonic time `when`, unless `owner` is gone by then."""
    global _thread
    with _lock:
        heapq.heappush(_queue, (when, next(_sequence), weakref.ref(owner), action))
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="code_interpreter-lifecycle", daemon=True)
            _thread.start()
        _lock.notify()


def _run() -> None:
    while True:
        with _lock:
            while not _queue or _queue[0][0] > time.monotonic():
                _lock.wait(None if not _queue else _queue[0][0] - time.monotonic())
            _, _, ref, action = heapq.heappop(_queue)
        owner = ref()
        if owner is not None:
            try:
                action(owner)
            except Exception:  # a failing action must not stop the other sandboxes' timers
                import logging

                logging.getLogger("code_interpreter").exception("lifecycle action failed")
