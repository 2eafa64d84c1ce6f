"""Threads keep their V8 state parked on isolates they call often (core/engine/thread_parking.h).

Each case runs in a child interpreter: parking is process-wide state (a cap on orphans stops it
for the process), so other tests' threads must not decide these outcomes."""

import json
import subprocess
import sys
import textwrap

PRELUDE = """
import json, threading, time
from code_interpreter import create_sandbox, ExecutionTimeout
from code_interpreter import _core

def parking():
    return _core.thread_parking()

def after_exits():
    # join() returns before an exiting thread's C++ thread-locals are destroyed, which is when
    # it gives its parked state back: wait for that, for up to ten seconds.
    deadline = time.monotonic() + 10
    while parking()["parked"] and time.monotonic() < deadline:
        time.sleep(0.01)
    return parking()

def calls(box, count, code="Math.sqrt(16) + 5"):
    return [box.interpret(code) for _ in range(count)]

def in_thread(work):
    outcome = {}
    def run():
        outcome["value"] = work()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join()
    return outcome["value"]
"""


def run_child(source: str) -> dict:
    child = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    return json.loads(child.stdout.strip().splitlines()[-1])


def test_a_thread_parks_after_some_calls_and_gives_its_state_back_when_it_exits() -> None:
    report = run_child(
        """
        box = create_sandbox(persistent_context=True)
        before = parking()
        def work():
            few = calls(box, 5)
            after_few = parking()
            many = calls(box, 40)
            return {"results": sorted(set(few + many)), "after_few": after_few,
                    "after_many": parking()}
        seen = in_thread(work)
        seen["before"] = before
        seen["after_exit"] = after_exits()
        box.kill()
        print(json.dumps(seen))
        """
    )
    assert report["results"] == ["9"]
    assert report["before"]["parked"] == 0
    assert report["after_few"]["parked"] == 0  # short use parks nothing
    assert report["after_many"]["parked"] == 1
    assert report["after_exit"] == {"parked": 0, "orphans": 0}


def test_parked_threads_share_an_isolate_and_its_state() -> None:
    # One isolate, two threads taking turns on it: each call restores its own thread's state
    # after the other's, and both see the same persistent context.
    report = run_child(
        """
        box = create_sandbox(persistent_context=True, max_concurrent_executions=1)
        box.interpret("globalThis.count = 0")
        barrier = threading.Barrier(2, timeout=30)
        peaks = []
        def work():
            for _ in range(300):  # in lock step: the two threads' calls interleave
                box.interpret("count += 1")
                barrier.wait()
            peaks.append(parking()["parked"])
            barrier.wait()  # both still alive (and parked) when both have looked
        threads = [threading.Thread(target=work, daemon=True) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(json.dumps({"count": box.interpret("count"), "peaks": peaks,
                          "after": after_exits()}))
        box.kill()
        """
    )
    assert report["count"] == "600"
    assert report["peaks"] == [2, 2]
    assert report["after"] == {"parked": 0, "orphans": 0}


def test_a_parked_thread_recovers_from_a_timeout_and_a_memory_bomb() -> None:
    # Termination state lives in the thread's archived state: a stopped run must not leave it
    # set for the thread's next call, nor for another thread's.
    report = run_child(
        """
        box = create_sandbox(persistent_context=True, max_execution_time=200,
                             memory_limit_mb=32, max_concurrent_executions=1)
        def work():
            calls(box, 40)
            seen = {"parked": parking()["parked"]}
            try:
                box.interpret("while (true) {}")
            except ExecutionTimeout:
                seen["timeout"] = True
            seen["after_timeout"] = calls(box, 3)
            try:
                box.interpret("const a = []; while (true) a.push(new Array(1e5).fill(1))")
            except Exception as error:
                seen["bomb"] = type(error).__name__
            seen["after_bomb"] = calls(box, 20)
            return seen
        seen = in_thread(work)
        seen["other_thread"] = calls(box, 3)
        box.kill()
        print(json.dumps(seen))
        """
    )
    assert report["parked"] == 1
    assert report["timeout"] is True
    assert report["after_timeout"] == ["9"] * 3
    assert report["bomb"] == "MemoryLimitExceeded"
    assert report["after_bomb"] == ["9"] * 20
    assert report["other_thread"] == ["9"] * 3


def test_a_kill_from_another_thread_orphans_the_parked_state_and_the_thread_goes_on() -> None:
    report = run_child(
        """
        box = create_sandbox(persistent_context=True)
        parked_now = threading.Event()
        closed = threading.Event()
        seen = {}
        def work():
            calls(box, 40)
            parked_now.set()
            closed.wait(30)
            other = create_sandbox(persistent_context=True)
            seen["later"] = calls(other, 40)
            seen["parked_again"] = parking()["parked"]
            other.kill()  # killed by this thread: its own state is given back, not orphaned
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        parked_now.wait(30)
        seen["parked"] = parking()["parked"]
        box.kill()
        seen["after_close"] = parking()
        closed.set()
        thread.join()
        seen["after_exit"] = after_exits()
        print(json.dumps(seen))
        """
    )
    assert report["parked"] == 1
    assert report["after_close"] == {"parked": 0, "orphans": 1}
    assert report["later"] == ["9"] * 40
    assert report["parked_again"] == 1
    assert report["after_exit"] == {"parked": 0, "orphans": 1}


def test_a_thread_exiting_waits_for_a_run_on_its_isolate_before_giving_its_state_back() -> None:
    report = run_child(
        """
        box = create_sandbox(persistent_context=True, max_concurrent_executions=1)
        started = threading.Event()
        def long_run():
            started.set()
            return box.interpret("const end = Date.now() + 300; while (Date.now() < end) {} 'done'")
        runner = threading.Thread(target=long_run, daemon=True)
        def work():
            calls(box, 40)
            runner.start()
            started.wait(30)
            time.sleep(0.05)  # the long run holds the isolate as this thread exits
        in_thread(work)
        runner.join()
        print(json.dumps({"after": after_exits(), "next": calls(box, 2)}))
        box.kill()
        """
    )
    assert report["after"] == {"parked": 0, "orphans": 0}
    assert report["next"] == ["9", "9"]


def test_parking_stops_for_the_process_once_orphans_reach_their_cap() -> None:
    report = run_child(
        """
        def orphan_one():
            box = create_sandbox(persistent_context=True)
            ready, release = threading.Event(), threading.Event()
            def work():
                calls(box, 20)
                ready.set()
                release.wait(30)
            thread = threading.Thread(target=work, daemon=True)
            thread.start()
            ready.wait(30)
            box.kill()
            release.set()
            thread.join()
        for _ in range(70):
            orphan_one()
        capped = parking()
        box = create_sandbox(persistent_context=True)
        results = in_thread(lambda: (calls(box, 40), parking())[1])
        box.kill()
        print(json.dumps({"capped": capped, "after": results}))
        """
    )
    assert report["capped"]["orphans"] == 64
    assert report["after"]["parked"] == 0


def test_a_parked_thread_gives_javascript_the_same_stack_from_any_depth() -> None:
    # A parked state keeps the stack limit of the call that parked it; each call must set its
    # own, below its own frame, or a call from deeper in the thread's stack gets less of it
    # (about a third less, when this failed). Each measurement runs code of its own, so every
    # one recurses in unoptimized frames: an optimized `f` (its compile finishes sooner or later
    # on a busy host) has smaller frames and goes deeper.
    report = run_child(
        """
        import itertools, sys
        sys.setrecursionlimit(20_000)
        runs = itertools.count()
        def depth():
            return int(box.interpret(
                "function f(n) { try { return f(n + 1) } catch (e) { return n } } f(0) // "
                + str(next(runs))))
        def deeper(levels, work):
            # Each level re-enters the interpreter from C, so the thread's C stack grows.
            if levels == 0:
                return work()
            return next(map(lambda left: deeper(left, work), [levels - 1]))
        box = create_sandbox(persistent_context=True, max_execution_time=20_000)
        def work():
            shallow = [depth() for _ in range(20)][-1]
            parked = parking()["parked"]
            deep = deeper(500, depth)
            return {"parked": parked, "shallow": shallow, "deep": deep,
                    "shallow_again": depth()}
        seen = in_thread(work)
        box.kill()
        print(json.dumps(seen))
        """
    )
    assert report["parked"] == 1
    assert report["shallow"] > 1000
    for depth in (report["deep"], report["shallow_again"]):
        assert abs(depth - report["shallow"]) <= report["shallow"] // 100


def test_a_host_function_can_kill_a_sandbox_its_thread_is_parked_on() -> None:
    # The thread gives its state on the other isolate back while its own isolate is locked and
    # entered, in the middle of a script.
    report = run_child(
        """
        other = create_sandbox(persistent_context=True)
        calls(other, 20)
        box = create_sandbox(persistent_context=True,
                             expose={"kill_other": lambda: other.kill() or "killed"})
        calls(box, 20)
        seen = {"before": parking(), "killed": box.interpret("kill_other()"),
                "after_kill": parking(), "still": calls(box, 3)}
        box.kill()
        seen["after"] = parking()
        print(json.dumps(seen))
        """
    )
    assert report["before"] == {"parked": 2, "orphans": 0}
    assert report["killed"] == "killed"
    assert report["after_kill"] == {"parked": 1, "orphans": 0}
    assert report["still"] == ["9"] * 3
    assert report["after"] == {"parked": 0, "orphans": 0}
