from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest

from code_interpreter import Sandbox, _core, _sandbox, create_sandbox
from code_interpreter._base import live_sandboxes as _live_sandboxes

# The suites on these fixtures run twice: isolates in this process, and in worker processes.
# An emulated run (qemu-user, ci/wheel-test) cannot start the worker executable, whose machine
# the kernel does not know there: it asks for thread isolation only.
ISOLATIONS = tuple(os.environ.get("CODE_INTERPRETER_TEST_ISOLATIONS", "thread,process").split(","))

# Whether this V8 recycles fresh contexts: it needs side-effect-free evaluation, from V8's debug
# interface, which some builds (V8 13.6's libnode137) do not export. Without it every
# fresh-context run has a new context, with the same results.
RECYCLES = bool(_core.RECYCLES_CONTEXTS)
needs_recycling = pytest.mark.skipif(
    not RECYCLES, reason="this V8 lacks side-effect-free evaluation: no context is recycled"
)


def recycled_as_this_v8_can(count: int, at_least: int = 1) -> bool:
    """A count of recycled runs as it must be on this V8: at least `at_least` where contexts
    are recycled, none where they cannot be."""
    return count >= at_least if RECYCLES else count == 0


@pytest.fixture(params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest) -> str:
    """The mode of `sandbox` and `bare`; a module that runs all its tests in both modes
    overrides it with an autouse fixture of the same name (use_isolation)."""
    return str(request.param)


@pytest.fixture
def sandbox(isolation: str) -> Iterator[Sandbox]:
    with create_sandbox(memory_limit_mb=64, max_execution_time=2000, isolation=isolation) as box:
        yield box


def use_isolation(monkeypatch: pytest.MonkeyPatch, module: object, isolation: str) -> None:
    """Makes the sandboxes a test module creates through its imported factories use
    `isolation`: for suites that run in both modes."""
    import functools

    for name in ("create_sandbox", "create_async_sandbox"):
        factory = getattr(module, name, None)
        if factory is not None:
            monkeypatch.setattr(module, name, functools.partial(factory, isolation=isolation))


# No scanner patterns and room for long code: for cases that test what V8 itself enforces.
UNSCANNED = {"max_code_length": 1 << 20, "max_lines": 100_000}


@pytest.fixture
def bare(isolation: str) -> Iterator[Sandbox]:
    with create_sandbox(
        security_level="custom",
        custom_security=UNSCANNED,
        memory_limit_mb=64,
        max_execution_time=2000,
        isolation=isolation,
    ) as box:
        yield box


@pytest.fixture(autouse=True)
def no_sandbox_outlives_its_test() -> Iterator[None]:
    """Every sandbox a test makes is killed or collected by the end of it: no isolate leaks."""
    before = set(map(id, _live_sandboxes))
    yield
    gc.collect()
    leaked = [
        s
        for s in _live_sandboxes
        if id(s) not in before and s.is_active and s is not _sandbox._shared_sandbox
    ]
    for box in leaked:
        box.kill(graceful=False)
    assert not leaked, f"sandboxes left active: {leaked}"
