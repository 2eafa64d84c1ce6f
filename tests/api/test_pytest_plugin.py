"""The pytest plugin, used as a user's project would: temporary projects run by pytester, with
the plugin loaded from its entry point as installing the package registers it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import code_interpreter

pytest_plugins = ["pytester"]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # The project's own settings: this suite's (warnings as errors, --benchmark-disable) stay out.
    pytester.makeini("[pytest]\naddopts = --strict-markers -p no:cacheprovider\n")
    return pytester.runpytest_subprocess(*args)


def test_fixtures_and_marker_in_a_users_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_formulas="""
        import asyncio
        import pytest
        from code_interpreter import ConfigurationError, ExecutionTimeout

        def test_strict_sandbox_by_default(js_sandbox):
            assert js_sandbox.interpret("2 + 3 * 4") == "14"
            assert js_sandbox.options.security_level == "strict"

        @pytest.mark.js_sandbox(persistent_context=True, memory_limit_mb=32)
        def test_marker_options(js_sandbox):
            js_sandbox.interpret("globalThis.total = 40")
            assert js_sandbox.interpret("total + 2", return_raw_result=True) == 42
            assert js_sandbox.options.memory_limit_mb == 32

        @pytest.mark.js_sandbox(max_execution_time=50)
        def test_limits_hold(js_sandbox):
            with pytest.raises(ExecutionTimeout):
                js_sandbox.interpret("for (;;) {}")

        @pytest.mark.js_sandbox(persistent_context=True)
        def test_async_sandbox(async_js_sandbox):
            async def main():
                await async_js_sandbox.interpret("globalThis.n = 20")
                return await async_js_sandbox.interpret("n * 2 + 2", return_raw_result=True)
            assert asyncio.run(main()) == 42

        @pytest.mark.js_sandbox(memory_limt_mb=32)
        def test_a_misspelt_option(js_sandbox):
            pass

        _kept = []

        def test_keep(js_sandbox):
            _kept.append(js_sandbox)

        def test_killed_after_its_test():
            assert not _kept[0].is_active
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=6, errors=1)
    result.stdout.fnmatch_lines(["*ConfigurationError*memory_limt_mb*"])


def test_a_failing_assertion_names_the_js_error_and_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_errors="""
        from code_interpreter.testing import assert_js_raises

        def test_right_error(js_sandbox):
            error = assert_js_raises(js_sandbox, "null.x", "TypeError", match="null")
            assert error.line_number == 1

        def test_wrong_error(js_sandbox):
            assert_js_raises(js_sandbox, "const a = 1;\\n  undefinedThing()", "TypeError")

        def test_no_error(js_sandbox):
            assert_js_raises(js_sandbox, "6 * 7", "RangeError")
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*expected the JavaScript to throw TypeError, it threw ReferenceError: "
            "undefinedThing is not defined at line 2, column 3*",
            "*expected the JavaScript to throw RangeError, it returned 42*",
        ]
    )


def test_a_benchmark_carries_the_engine_figures_in_its_json(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_speed="""
        import pytest

        FIB = "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) }"

        def test_recursive(js_benchmark):
            assert js_benchmark("fib(15)", setup=FIB) == 610

        @pytest.mark.js_sandbox(persistent_context=True)
        def test_iterative(js_benchmark):
            loop = "function fib(n) { let a = 0, b = 1; while (n--) [a, b] = [b, a + b]; return a }"
            assert js_benchmark("fib(n)", setup=loop, context={"n": 15}) == 610
        """
    )
    result = run(pytester, "--benchmark-json=bench.json", "--benchmark-max-time=0.05")
    result.assert_outcomes(passed=2)
    report = json.loads((pytester.path / "bench.json").read_text())
    figures = {bench["name"]: bench["extra_info"] for bench in report["benchmarks"]}
    assert set(figures) == {"test_recursive", "test_iterative"}
    for extra in figures.values():
        assert extra["js_executions"] >= 1
        assert 0 < extra["js_wall_ms_median"] < 1000
        assert 0 <= extra["js_cpu_ms_median"] < 1000


def test_without_pytest_benchmark_js_benchmark_skips_with_a_reason(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_speed="""
        def test_recursive(js_benchmark):
            js_benchmark("1 + 1")

        def test_plain(js_sandbox):
            assert js_sandbox.interpret("1 + 1") == "2"
        """
    )
    result = run(pytester, "-p", "no:benchmark", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*js_benchmark needs pytest-benchmark*"])


def test_loading_the_plugin_imports_nothing_of_the_engine() -> None:
    probe = (
        "import sys, pytest_code_interpreter.plugin; sys.exit('code_interpreter' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", probe], check=False).returncode == 0


def test_the_library_itself_is_not_rewritten_by_pytest() -> None:
    # pytest marks every package of a distribution with a plugin for assertion rewriting.
    from code_interpreter import _async_sandbox, _sandbox

    for module in (code_interpreter, _sandbox, _async_sandbox):
        assert "@py_builtins" not in vars(module)


def test_a_project_without_the_fixtures_runs_as_before(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_plain="""
        import sys

        def test_plain():
            assert "code_interpreter" not in sys.modules
        """
    )
    run(pytester).assert_outcomes(passed=1)
