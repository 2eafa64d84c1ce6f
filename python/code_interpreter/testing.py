"""Helpers for tests of JavaScript run in a sandbox (the pytest plugin's fixtures give the
sandboxes; see the README's "Testing your JavaScript with pytest").

Example::

    from code_interpreter.testing import assert_js_raises

    def test_rejects_bad_input(js_sandbox):
        assert_js_raises(js_sandbox, "parse('')", "SyntaxError", match="empty")

PYTEST_DONT_REWRITE (see __init__).
"""

from __future__ import annotations

from typing import Any

from ._errors import JavaScriptError
from ._sandbox import Sandbox

__all__ = ["assert_js_raises"]


def _describe(error: JavaScriptError) -> str:
    where = ""
    if error.line_number:
        where = f" at line {error.line_number}"
        if error.column:
            where += f", column {error.column}"
    stack = f"\n{error.stack}" if error.stack else ""
    return f"{error.name}: {error.message}{where}{stack}"


def assert_js_raises(
    sandbox: Sandbox,
    code: str,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    match: str | None = None,
) -> JavaScriptError:
    """Runs `code` and checks that it throws a JS error named `name` (``"TypeError"``, or
    ``"Error"`` for a plain throw) whose message contains `match`, when given. Returns the
    `JavaScriptError`; a failure reports what happened instead, with the JS error's name,
    message, line, column and stack."""
    __tracebackhide__ = True
    try:
        value = sandbox.interpret(code, context, return_raw_result=True)
    except JavaScriptError as error:
        if error.name != name:
            raise AssertionError(
                f"expected the JavaScript to throw {name}, it threw {_describe(error)}"
            ) from None
        if match is not None and match not in error.message:
            raise AssertionError(
                f"expected a {name} whose message contains {match!r}, got {_describe(error)}"
            ) from None
        return error
    raise AssertionError(f"expected the JavaScript to throw {name}, it returned {value!r}")
