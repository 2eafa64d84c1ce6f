"""Fixtures for tests and benchmarks of JavaScript run by code-interpreter.

- ``js_sandbox``: a `Sandbox` (strict unless the marker says otherwise), killed after the test.
- ``async_js_sandbox``: the same as an `AsyncSandbox`, for ``async def`` tests (or
  ``asyncio.run`` in plain ones).
- ``js_benchmark``: pytest-benchmark's ``benchmark`` fixture for JavaScript: runs the code in the
  test's sandbox, checks it does not throw, returns its value, and puts the engine's own median
  wall and CPU time per execution in ``benchmark.extra_info``.
- ``@pytest.mark.js_sandbox(**options)``: the options of those sandboxes, as `create_sandbox`
  takes them (a bad one is a `ConfigurationError` in the fixture's setup).

Nothing here runs at collection and nothing imports code_interpreter until a test uses a
fixture, so projects that do not use them run as before.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from code_interpreter import AsyncSandbox, Sandbox


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "js_sandbox(**options): options of the js_sandbox, async_js_sandbox and js_benchmark "
        "fixtures, as create_sandbox takes them",
    )


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("js_sandbox")
    if marker is None:
        return {}
    if marker.args:
        from code_interpreter import ConfigurationError

        raise ConfigurationError(
            f"the js_sandbox marker takes options by keyword only, not {marker.args!r}"
        )
    return dict(marker.kwargs)


@pytest.fixture
def js_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A sandbox with the marker's options (strict by default), killed after the test."""
    from code_interpreter import create_sandbox

    sandbox = create_sandbox(**_marker_options(request))
    try:
        yield sandbox
    finally:
        sandbox.kill(graceful=False)


@pytest.fixture
def async_js_sandbox(request: pytest.FixtureRequest) -> Iterator[AsyncSandbox]:
    """An `AsyncSandbox` with the marker's options, killed after the test. Made without an event
    loop, so it serves ``async def`` tests under any async plugin and ``asyncio.run``."""
    from code_interpreter import create_async_sandbox

    # A sandbox keeps no event loop: one made under a short-lived loop serves any other.
    sandbox = asyncio.run(create_async_sandbox(**_marker_options(request)))
    try:
        yield sandbox
    finally:
        asyncio.run(sandbox.kill(graceful=False))


@pytest.fixture
def js_benchmark(request: pytest.FixtureRequest, js_sandbox: Sandbox) -> Callable[..., Any]:
    """``js_benchmark(code, setup=None, context=None)``: benchmarks `code` in the test's
    sandbox with pytest-benchmark and returns its value (a Python value).

    `setup` defines what the code uses. In a persistent context (``persistent_context=True``)
    it runs once, before the rounds; in the default fresh-context mode every execution starts
    from nothing, so each one runs `setup` and then `code`.
    """
    if not request.config.pluginmanager.hasplugin("benchmark"):
        pytest.skip("js_benchmark needs pytest-benchmark: pip install pytest-benchmark")
    benchmark = request.getfixturevalue("benchmark")

    def run(code: str, setup: str | None = None, context: dict[str, Any] | None = None) -> Any:
        __tracebackhide__ = True
        source = code
        if setup is not None:
            if js_sandbox.options.persistent_context:
                js_sandbox.interpret(setup, context)
            else:
                source = f"{setup}\n;{code}"
        walls: list[float] = []
        cpus: list[float] = []

        def once() -> Any:
            result = js_sandbox.execute(source, context)
            walls.append(result.duration_ms)
            cpus.append(result.cpu_time_ms)
            return result.value

        value = benchmark(once)
        benchmark.extra_info["js_executions"] = len(walls)
        benchmark.extra_info["js_wall_ms_median"] = statistics.median(walls)
        benchmark.extra_info["js_cpu_ms_median"] = statistics.median(cpus)
        return value

    return run
