"""`Sandbox.interpret` skips its Python frame when there is nothing to check or report
(bindings/quiet_interpret.h); every call must still behave as the checked method does."""

import inspect
import sys

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import (
    ExecutionTimeout,
    JavaScriptError,
    Sandbox,
    SandboxKilled,
    SecurityViolation,
    create_sandbox,
)


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


def test_interpret_keeps_its_signature_name_and_doc() -> None:
    parameters = list(inspect.signature(Sandbox.interpret).parameters)
    assert parameters == [
        "self",
        "code",
        "context",
        "timeout",
        "return_raw_result",
        "enable_profiling",
    ]
    with create_sandbox() as box:
        assert list(inspect.signature(box.interpret).parameters) == parameters[1:]
        assert box.interpret.__name__ == "interpret"
    assert Sandbox.interpret.__qualname__ == "Sandbox.interpret"
    assert "Runs `code`" in (Sandbox.interpret.__doc__ or "")


def test_repeated_code_reports_to_listeners_added_and_removed_later() -> None:
    completed: list[object] = []
    listener = completed.append
    with create_sandbox() as box:
        for _ in range(3):
            assert box.interpret("6 * 7") == "42"  # approved, quiet: the native path
        box.on("execution:complete", listener)
        for _ in range(3):
            assert box.interpret("6 * 7") == "42"
        assert len(completed) == 3
        box.off("execution:complete", listener)
        assert box.interpret("6 * 7") == "42"
        assert len(completed) == 3


def test_options_other_than_the_raw_result_go_to_the_checked_method() -> None:
    with create_sandbox(max_execution_time=5000) as box:
        loop = "for (;;) {}"
        with pytest.raises(ExecutionTimeout):
            box.interpret(loop, timeout=50)
        with pytest.raises(ExecutionTimeout):
            box.interpret(loop, timeout=50)  # approved now; the timeout still holds
        assert box.interpret("[1, 2]", return_raw_result=True) == [1, 2]
        assert box.interpret("[1, 2]", return_raw_result=True) == [1, 2]
        assert box.interpret("[1, 2]", None, return_raw_result=False) == "[1,2]"
        with pytest.raises(TypeError, match="unexpected keyword"):
            box.interpret("[1, 2]", raw=True)


def test_the_context_may_come_by_keyword_but_only_once() -> None:
    with create_sandbox() as box:
        for _ in range(2):  # checked, then quiet
            assert box.interpret("context.a + 1", context={"a": 1}) == "2"
            assert box.interpret("context.a", context={"a": [1]}, return_raw_result=True) == [1]
            assert box.interpret("typeof context", context=None) == "undefined"
            with pytest.raises(TypeError, match="multiple values"):
                box.interpret("context.a + 1", {"a": 1}, context={"a": 2})  # type: ignore[misc]


def test_the_quiet_path_gives_the_checked_methods_errors() -> None:
    with create_sandbox() as box:
        assert box.interpret("context.a + 1", {"a": 1}) == "2"
        with pytest.raises(TypeError, match="context must be a dict"):
            box.interpret("context.a + 1", [1])
        with pytest.raises(JavaScriptError, match="boom"):
            box.interpret("throw new Error('boom')")
        with pytest.raises(JavaScriptError, match="boom"):
            box.interpret("throw new Error('boom')")
        with pytest.raises(SecurityViolation):
            box.interpret("require('fs')")
        with pytest.raises(SecurityViolation):
            box.interpret("require('fs')")  # refused code is never approved
        with pytest.raises(TypeError):
            box.interpret(42)  # type: ignore[arg-type]
        box.kill()
        with pytest.raises(SandboxKilled):
            box.interpret("context.a + 1", {"a": 1})


def test_a_subclass_can_override_interpret_and_call_the_base() -> None:
    class Counting(Sandbox):
        calls = 0

        def interpret(self, code, context=None, **options):  # type: ignore[no-untyped-def]
            Counting.calls += 1
            return super().interpret(code, context, **options)

    from code_interpreter._options import SandboxOptions

    box = Counting(SandboxOptions())
    try:
        assert [box.interpret("1 + 1") for _ in range(3)] == ["2", "2", "2"]
        assert Counting.calls == 3
    finally:
        box.kill()
