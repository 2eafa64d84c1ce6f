"""Bounded fuzz of what the core reads of the sandbox's code before V8 does: the tokenizer that
finds import declarations (rewritten to require.import) and awaits used as identifiers. Code
made of the fragments that matter to them (import clauses, strings, templates, regular
expressions, comments, braces, await) must end in a value or a typed error, never a crash or
another exception, and the sandbox must stay usable. ci/fuzz runs more examples
(CODE_INTERPRETER_FUZZ_EXAMPLES)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from code_interpreter import ExecutionTimeout, JavaScriptError, Sandbox, create_sandbox

EXAMPLES = int(os.environ.get("CODE_INTERPRETER_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FRAGMENTS = [
    "import",
    " ",
    "\n",
    "x",
    "a",
    "as",
    "from",
    "default",
    "*",
    ",",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ";",
    ".",
    "?.",
    "/",
    "/x/g",
    "//c\n",
    "/*c*/",
    "`",
    "${",
    "'esm'",
    '"esm"',
    "'no'",
    "'\\'",
    "await",
    "async",
    "=>",
    "return",
    "const",
    "let",
    "=",
    "1",
    "with",
    "assert",
    "import(",
    "import.meta",
    "\\u0061",
]
code_text = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    folder: Path = tmp_path_factory.mktemp("fuzz") / "node_modules" / "esm"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text('{"name": "esm", "type": "module", "main": "i.js"}')
    (folder / "i.js").write_text("export const x = 1; export default 2;")
    with create_sandbox(
        security_level="permissive",
        allowed_modules=["esm"],
        module_paths=[str(folder.parent)],
        max_execution_time=1000,
    ) as sandbox:
        yield sandbox


@FUZZ
@given(code=code_text)
def test_any_arrangement_of_import_and_await_ends_in_a_value_or_a_typed_error(
    box: Sandbox, code: str
) -> None:
    with contextlib.suppress(JavaScriptError, ExecutionTimeout):
        box.interpret(code)
    assert box.interpret("import { x } from 'esm'; return x + 1") == "2"
