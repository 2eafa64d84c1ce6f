import pytest

from code_interpreter import ExecutionTimeout, create_sandbox


def test_persistent_context_keeps_state_between_calls() -> None:
    with create_sandbox(persistent_context=True) as box:
        box.interpret("globalThis.counter = 1")
        box.interpret("counter += 1")
        assert box.interpret("counter") == "2"


def test_persistent_context_starts_clean_after_a_timeout() -> None:
    with create_sandbox(persistent_context=True, max_execution_time=100) as box:
        box.interpret("globalThis.kept = 1")
        with pytest.raises(ExecutionTimeout):
            box.interpret("Promise.resolve().then(() => { globalThis.late = 1 }); while (true) {}")
        assert box.interpret("[typeof kept, typeof late]", return_raw_result=True) == [
            "undefined",
            "undefined",
        ]


def test_microtasks_of_a_failed_run_never_reach_the_next_one() -> None:
    with create_sandbox(persistent_context=True) as box:
        with pytest.raises(Exception, match="boom"):
            box.interpret(
                "Promise.resolve().then(() => { globalThis.ran = 1 }); throw new Error('boom')"
            )
        # The queued callback ran as part of the failed execution, not the next one.
        assert box.interpret("typeof ran") == "number"
