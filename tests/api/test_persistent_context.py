import sys

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import ExecutionTimeout, JavaScriptError, create_sandbox


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


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


def test_rerunning_code_with_top_level_lexical_declarations_is_an_error_not_a_crash() -> None:
    # Same code twice in one context: the second run redeclares `d`.
    with create_sandbox(persistent_context=True) as box:
        code = "const d = {}; for (let i = 0; i < 10; i++) d['k' + i] = i; d"
        assert box.interpret(code, return_raw_result=True)["k9"] == 9
        for _ in range(3):
            with pytest.raises(JavaScriptError, match="already been declared"):
                box.interpret(code, return_raw_result=True)
        assert box.interpret("d.k3") == "3"


def test_repeated_code_keeps_working_in_the_persistent_context() -> None:
    with create_sandbox(persistent_context=True) as box:
        box.interpret("var total = 0")
        for _ in range(50):
            box.interpret("function add(n) { total += n } add(2); total")
        assert box.interpret("total") == "100"
