import sys
import threading
import time

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import RateLimitExceeded, SandboxKilled, create_sandbox


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


def test_calls_after_kill_raise_sandbox_killed() -> None:
    box = create_sandbox()
    box.interpret("1")
    box.kill()
    assert not box.is_active
    with pytest.raises(SandboxKilled):
        box.interpret("1")
    with pytest.raises(SandboxKilled):
        box.execute("1")


def test_kill_is_idempotent() -> None:
    limits = {"max_sandboxes_per_user": 2}
    box = create_sandbox(tenant_id="kill-twice", rate_limiting=limits)
    other = create_sandbox(tenant_id="kill-twice", rate_limiting=limits)
    box.interpret("1")
    for graceful in (True, True, False):
        box.kill(graceful=graceful)
        assert not box.is_active
        assert box.get_status()["isolates"]["live_isolates"] == 0
        with pytest.raises(SandboxKilled):
            box.interpret("1")
    # The tenant's slot is given back once: one sandbox more fits beside `other`, not two.
    replacement = create_sandbox(tenant_id="kill-twice", rate_limiting=limits)
    with pytest.raises(RateLimitExceeded, match="kill-twice"):
        create_sandbox(tenant_id="kill-twice", rate_limiting=limits)
    for left in (other, replacement):
        left.kill()


def test_immediate_kill_from_another_thread_ends_a_running_execution() -> None:
    box = create_sandbox(max_execution_time=60_000)
    box.interpret("1")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            box.interpret("while (true) {}")
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    box.kill(graceful=False)
    thread.join(5)
    assert not thread.is_alive()
    assert time.monotonic() - started < 2
    assert len(errors) == 1 and isinstance(errors[0], SandboxKilled)


def test_graceful_kill_waits_for_the_running_execution() -> None:
    box = create_sandbox(max_execution_time=60_000)
    results: list[str] = []
    thread = threading.Thread(
        target=lambda: results.append(
            box.interpret("let t = Date.now(); while (Date.now() - t < 300) {} 'finished'")
        )
    )
    thread.start()
    time.sleep(0.1)
    box.kill(graceful=True)
    thread.join(5)
    assert results == ["finished"]


def test_concurrent_kills_during_executions_all_return() -> None:
    box = create_sandbox(max_concurrent_executions=4, max_execution_time=60_000)
    outcomes: list[str] = []

    def run() -> None:
        try:
            box.interpret("while (true) {}")
            outcomes.append("value")
        except SandboxKilled:
            outcomes.append("killed")

    runners = [threading.Thread(target=run) for _ in range(6)]
    for thread in runners:
        thread.start()
    time.sleep(0.3)
    killers = [threading.Thread(target=box.kill, args=(False,)) for _ in range(4)]
    for thread in killers:
        thread.start()
    for thread in runners + killers:
        thread.join(10)
        assert not thread.is_alive()
    assert outcomes == ["killed"] * 6


def test_context_manager_kills_on_exit() -> None:
    with create_sandbox() as box:
        assert box.interpret("1") == "1"
    assert not box.is_active
