"""Fresh-context mode makes new contexts ahead of the executions that need them (on an idle
isolate, while another idle isolate stays free for callers): the contexts it hands out must be
exactly what a context made on the call would be."""

from __future__ import annotations

import threading
import time

import pytest
from tests.conftest import needs_recycling

from code_interpreter import SandboxKilled, create_sandbox

# Writes a global: never served by a recycled context, so every run needs a new one.
COUNTER = "globalThis.n = (globalThis.n || 0) + 1; n"
RUNS = 40


def isolates(box: object) -> dict[str, int]:
    return box.get_status()["isolates"]  # type: ignore[attr-defined, no-any-return]


def run_with_pauses(box: object, code: str, runs: int = RUNS) -> list[str]:
    results = []
    for _ in range(runs):
        results.append(box.interpret(code))  # type: ignore[attr-defined]
        time.sleep(0.005)  # idle time, in which the next context is prepared
    return results


def test_prepared_contexts_serve_fresh_executions_with_fresh_state() -> None:
    with create_sandbox() as box:
        assert run_with_pauses(box, COUNTER) == ["1"] * RUNS
        status = isolates(box)
        assert status["contexts_prepared"] > 0
        # Executions that found no prepared context made their own: fewer than all of them.
        assert status["contexts_made_on_call"] < RUNS


def test_prepared_contexts_carry_the_sandbox_profile() -> None:
    code = (
        "const names = Object.getOwnPropertyNames(globalThis).sort().join();"
        "const before = config.rate; config.rate = 99; globalThis.leak = 1;"
        "[names, before, typeof fetch, typeof setTimeout, typeof WebAssembly].join('|')"
    )
    with create_sandbox(security_level="strict", custom_globals={"config": {"rate": 0.5}}) as box:
        results = run_with_pauses(box, code)
        assert isolates(box)["contexts_prepared"] > 0
    assert len(set(results)) == 1  # the first run's context was made on the call
    names, rate, *kinds = results[0].split("|")
    assert "leak" not in names.split(",") and "config" in names.split(",")
    assert rate == "0.5"
    assert kinds == ["undefined", "undefined", "undefined"]


def test_prepared_contexts_leave_no_microtasks_or_timers_behind() -> None:
    code = (
        "globalThis.seen = (globalThis.seen || 0) + 1;"
        "Promise.resolve().then(() => { globalThis.seen += 100 });"
        "setTimeout(() => { globalThis.seen += 1000 }, 0); seen"
    )
    with create_sandbox(security_level="permissive") as box:
        assert run_with_pauses(box, code, runs=20) == ["1"] * 20


def test_persistent_and_isolate_per_call_modes_prepare_nothing() -> None:
    with create_sandbox(persistent_context=True) as box:
        run_with_pauses(box, COUNTER, runs=10)
        assert isolates(box)["contexts_prepared"] == 0
        assert isolates(box)["live_isolates"] == 1
    with create_sandbox(use_worker_pool=False) as box:
        assert run_with_pauses(box, COUNTER, runs=5) == ["1"] * 5
        assert isolates(box)["contexts_prepared"] == 0


@needs_recycling
def test_code_served_by_the_recycled_context_prepares_nothing() -> None:
    with create_sandbox() as box:
        run_with_pauses(box, "[1, 2, 3].map(x => x * 2).join()", runs=20)
        status = isolates(box)
        assert status["contexts_recycled"] > 0
        assert status["contexts_prepared"] == 0 and status["live_isolates"] == 1


def test_the_standby_isolate_does_not_raise_concurrency() -> None:
    """The pool holds one isolate more than callers may use, but runs no more at once."""
    busy_loop = "let t = Date.now(); while (Date.now() - t < 150) {} 1"
    with create_sandbox(max_concurrent_executions=1, max_execution_time=30_000) as box:
        run_with_pauses(box, COUNTER, runs=10)
        assert isolates(box)["live_isolates"] == 2  # the one in use and the standby
        most_busy = 0
        threads = [threading.Thread(target=box.interpret, args=(busy_loop,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            most_busy = max(most_busy, isolates(box)["busy_isolates"])
            time.sleep(0.005)
        for thread in threads:
            thread.join()
        assert most_busy == 1
        assert isolates(box)["live_isolates"] <= 2


def test_killing_a_sandbox_while_it_prepares_is_clean() -> None:
    for attempt in range(15):
        box = create_sandbox()
        box.interpret(COUNTER)
        box.interpret(COUNTER)  # the second context made on call starts the preparation
        if attempt % 2:
            time.sleep(0.0005 * attempt)
        box.kill()
        with pytest.raises(SandboxKilled):
            box.interpret("1")
    with create_sandbox() as box:
        assert run_with_pauses(box, COUNTER, runs=5) == ["1"] * 5
