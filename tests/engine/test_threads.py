import threading
import time

from code_interpreter import Sandbox, SandboxKilled, create_sandbox

CPU_BOUND = "let x = 0; for (let i = 0; i < 3e7; i++) { x = (x + i) % 1000003 } x"


BUSY_UNTIL_RELEASED = "while (Date.now() < context.until) {} 'done'"


def test_two_threads_run_javascript_at_the_same_time() -> None:
    # The GIL is released while JS runs: this thread keeps running Python during both
    # executions, and sees both sandboxes busy at the same moment. A held GIL would stop it,
    # and one lock for all isolates would never show both busy.
    boxes = [create_sandbox(max_execution_time=60_000) for _ in range(2)]
    for box in boxes:
        box.interpret("1")
    until = time.time() * 1000 + 20_000
    outcomes: list[str] = []

    def run(box: Sandbox) -> None:
        try:
            outcomes.append(box.interpret(BUSY_UNTIL_RELEASED, {"until": until}))
        except SandboxKilled:
            outcomes.append("killed")

    threads = [threading.Thread(target=run, args=(box,)) for box in boxes]
    for thread in threads:
        thread.start()
    both_busy = False
    while not both_busy and any(thread.is_alive() for thread in threads):
        both_busy = all(box.get_status()["isolates"]["busy_isolates"] == 1 for box in boxes)
    for box in boxes:
        box.kill(graceful=False)  # ends the busy loops now
    for thread in threads:
        thread.join(30)
    assert both_busy
    assert outcomes == ["killed", "killed"]


def test_one_sandbox_runs_up_to_max_concurrent_executions_at_once() -> None:
    with create_sandbox(max_concurrent_executions=2, max_execution_time=30_000) as box:
        box.interpret("1")
        results: list[str] = []
        threads = [
            threading.Thread(target=lambda: results.append(box.interpret(CPU_BOUND)))
            for _ in range(4)
        ]
        most_busy = 0
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            most_busy = max(most_busy, box._native.stats()["busy_isolates"])
            time.sleep(0.002)
        for thread in threads:
            thread.join()
        assert len(results) == 4 and len(set(results)) == 1
        assert most_busy == 2
        # Two in use, and at most the standby that prepares contexts (test_prepared_contexts.py).
        assert box._native.stats()["live_isolates"] <= 3
