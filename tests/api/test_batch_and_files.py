from pathlib import Path

import pytest

from code_interpreter import (
    ExecutionTimeout,
    JavaScriptError,
    Sandbox,
    SecurityViolation,
)


def test_interpret_many_runs_each_code_in_order(sandbox: Sandbox) -> None:
    codes = ["Math.sqrt(144)", "[1,2,3,4].reduce((a,b) => a+b)", "JSON.stringify({hello: 'world'})"]
    assert sandbox.interpret_many(codes) == ["12", "10", '{"hello":"world"}']
    assert sandbox.execution_count == 3


def test_interpret_many_isolates_each_code(sandbox: Sandbox) -> None:
    assert sandbox.interpret_many(["globalThis.x = 1", "typeof x"]) == ["1", "undefined"]


def test_interpret_many_with_return_exceptions(sandbox: Sandbox) -> None:
    results = sandbox.interpret_many(
        ["1", "throw new TypeError('t')", "require('fs')", "for (;;) {}", "2"],
        timeout=50,
        return_exceptions=True,
    )
    assert results[0] == "1" and results[4] == "2"
    assert isinstance(results[1], JavaScriptError) and results[1].name == "TypeError"
    assert isinstance(results[2], SecurityViolation)
    assert isinstance(results[3], ExecutionTimeout)
    metrics = sandbox.get_metrics()["executions"]
    assert (metrics["successful"], metrics["failed"]) == (2, 2)


def test_interpret_many_raises_the_first_failure(sandbox: Sandbox) -> None:
    with pytest.raises(JavaScriptError, match="second"):
        sandbox.interpret_many(["1", "throw new Error('second')", "throw new Error('third')"])


def test_interpret_many_context_and_raw(sandbox: Sandbox) -> None:
    results = sandbox.interpret_many(["context.n + 1", "[n]"], {"n": 1}, return_raw_result=True)
    assert results == [2, [1]]


def test_interpret_file_reads_utf8_and_passes_context(sandbox: Sandbox, tmp_path: Path) -> None:
    script = tmp_path / "calc.js"
    script.write_text("// é\nreturn context.input_data.map(x => x * 2)", encoding="utf-8")
    assert sandbox.interpret_file(script, {"input_data": [1, 2]}) == "[2,4]"
    with pytest.raises(FileNotFoundError):
        sandbox.interpret_file(tmp_path / "missing.js")
