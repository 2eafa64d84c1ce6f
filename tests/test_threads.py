import threading
import time

from code_interpreter import create_sandbox

CPU_BOUND = "let x = 0; for (let i = 0; i < 3e7; i++) { x = (x + i) % 1000003 } x"


def run_in_threads(count: int) -> float:
    boxes = [create_sandbox(max_execution_time=30_000) for _ in range(count)]
    for box in boxes:
        box.interpret("1")  # isolates exist before timing starts
    barrier = threading.Barrier(count)

    def work(box):  # type: ignore[no-untyped-def]
        barrier.wait()
        box.interpret(CPU_BOUND)

    threads = [threading.Thread(target=work, args=(box,)) for box in boxes]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for box in boxes:
        box.kill()
    return elapsed


def test_two_threads_run_javascript_in_parallel() -> None:
    # The GIL is released while JS runs: two CPU-bound runs on two cores take about as long as
    # one, where a held GIL would make them take twice as long.
    one = min(run_in_threads(1) for _ in range(3))
    two = min(run_in_threads(2) for _ in range(3))
    assert two < one * 1.6, f"one thread {one:.3f} s, two threads {two:.3f} s"


def test_one_sandbox_runs_up_to_max_concurrent_executions_at_once() -> None:
    with create_sandbox(max_concurrent_executions=2, max_execution_time=30_000) as box:
        box.interpret("1")
        results: list[str] = []
        threads = [
            threading.Thread(target=lambda: results.append(box.interpret(CPU_BOUND)))
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(results) == 4 and len(set(results)) == 1
        assert box._native.stats()["live_isolates"] == 2
