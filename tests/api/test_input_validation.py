from typing import Any

import pytest

from code_interpreter import (
    ConfigurationError,
    JavaScriptError,
    Sandbox,
    SecurityViolation,
    create_sandbox,
)


@pytest.mark.parametrize("code", [None, 42, b"1+1", ["1"]])
def test_code_that_is_not_str_is_a_type_error(sandbox: Sandbox, code: Any) -> None:
    with pytest.raises(TypeError, match="code must be str"):
        sandbox.interpret(code)


def test_code_with_nul_is_a_value_error(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="NUL"):
        sandbox.interpret("1\x00+1")


def test_code_with_lone_surrogates_is_a_value_error(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="surrogate"):
        sandbox.interpret("'\ud800'")


def test_ten_megabytes_of_code_is_refused_before_running(sandbox: Sandbox) -> None:
    with pytest.raises(SecurityViolation, match="max_code_length"):
        sandbox.interpret("1;" * (5 << 20))
    assert sandbox.interpret("1") == "1"


def test_code_over_the_native_size_cap_is_a_value_error() -> None:
    custom = {"max_code_length": 4 << 20}
    with create_sandbox(security_level="custom", custom_security=custom) as box:
        with pytest.raises(ValueError, match="limit"):
            box.interpret("//" + "\u00e9" * (2 << 20) + "\n1")
        assert box.interpret("1") == "1"


@pytest.mark.parametrize("context", [[1, 2], "text", 3, (("a", 1),)])
def test_context_that_is_not_a_dict_is_a_type_error(sandbox: Sandbox, context: Any) -> None:
    with pytest.raises(TypeError, match="context must be a dict"):
        sandbox.interpret("1", context)


@pytest.mark.parametrize("timeout", [0, -5, "100", True])
def test_bad_per_call_timeout_is_a_value_error(sandbox: Sandbox, timeout: Any) -> None:
    with pytest.raises(ValueError, match="timeout"):
        sandbox.interpret("1", timeout=timeout)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"memory_limit_mb": 1}, "memory_limit_mb"),
        ({"memory_limit_mb": "64"}, "memory_limit_mb"),
        ({"max_execution_time": 0}, "max_execution_time"),
        ({"max_concurrent_executions": 0}, "max_concurrent_executions"),
        ({"persistent_context": 1}, "persistent_context"),
        ({"no_such_option": 1}, "no_such_option"),
    ],
)
def test_bad_options_raise_configuration_error_naming_the_option(
    options: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        create_sandbox(**options)


@pytest.mark.parametrize(
    ("code", "line", "column"),
    [
        ("let x = ;", 1, 9),
        ("1 +\n  )", 2, 3),
        ("const a = 1;\nreturn a +;", 2, 11),
        ("await null;\n  let = ;", 2, 9),
    ],
)
def test_syntax_errors_carry_line_and_column(
    sandbox: Sandbox, code: str, line: int, column: int
) -> None:
    with pytest.raises(JavaScriptError) as caught:
        sandbox.interpret(code)
    assert caught.value.name == "SyntaxError"
    assert (caught.value.line_number, caught.value.column) == (line, column)


def test_runtime_errors_carry_name_message_stack_and_position(sandbox: Sandbox) -> None:
    with pytest.raises(JavaScriptError) as caught:
        sandbox.interpret("const a = 1;\n  null.boom")
    error = caught.value
    assert error.name == "TypeError"
    assert "boom" in error.message
    assert "TypeError" in error.stack
    assert (error.line_number, error.column) == (2, 8)


def test_thrown_non_errors_become_javascript_errors(sandbox: Sandbox) -> None:
    with pytest.raises(JavaScriptError, match="plain string"):
        sandbox.interpret("throw 'plain string'")
    with pytest.raises(JavaScriptError):
        sandbox.interpret("throw Symbol('s')")
    with pytest.raises(JavaScriptError, match="custom"):
        sandbox.interpret("throw { name: 'Custom', message: 'custom' }")
