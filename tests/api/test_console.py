from code_interpreter import ConsoleLine, Sandbox


def test_console_methods_are_captured_per_execution(sandbox: Sandbox) -> None:
    result = sandbox.execute(
        "console.log('a', 1, {b: [2]}); console.info('i'); console.warn('w');"
        " console.error('e'); console.debug(null, undefined); 5"
    )
    assert result.value == 5
    assert result.console == [
        ConsoleLine("log", 'a 1 {"b":[2]}'),
        ConsoleLine("info", "i"),
        ConsoleLine("warn", "w"),
        ConsoleLine("error", "e"),
        ConsoleLine("debug", "null undefined"),
    ]
    assert sandbox.execute("1").console == []


def test_console_output_is_bounded_with_a_marker(sandbox: Sandbox) -> None:
    result = sandbox.execute("for (let i = 0; i < 100000; i++) console.log('line', i); 'done'")
    assert result.value == "done"
    assert result.console_truncated
    assert len(result.console) == 1001
    assert result.console[-1].text == "[console output truncated]"


def test_huge_console_line_is_bounded(sandbox: Sandbox) -> None:
    result = sandbox.execute("console.log('x'.repeat(5e6)); 1")
    assert result.console_truncated
    assert sum(len(line.text) for line in result.console) < 2 << 20


def test_execute_reports_wall_and_cpu_time(sandbox: Sandbox) -> None:
    result = sandbox.execute("let x = 0; for (let i = 0; i < 1e7; i++) x += i; x")
    assert result.duration_ms > 0 and result.cpu_time_ms > 0
    assert result.cpu_time_ms <= result.duration_ms * 1.05 + 1
