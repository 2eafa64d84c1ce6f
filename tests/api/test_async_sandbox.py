import asyncio
import time

import pytest
from tests.conftest import ISOLATIONS

from code_interpreter import (
    AsyncSandbox,
    ExecutionTimeout,
    SandboxKilled,
    create_async_sandbox,
)


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_gather_runs_up_to_max_concurrent_in_parallel_without_blocking_the_loop(
    isolation: str,
) -> None:
    async def main() -> tuple[list[str], float, int]:
        async with await create_async_sandbox(
            max_concurrent_executions=2, pre_warm=2, isolation=isolation
        ) as box:
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            tick_task = asyncio.create_task(ticker())
            code = "let t = Date.now(); while (Date.now() - t < 200) {} 'done'"
            started = time.monotonic()
            results = await asyncio.gather(*(box.interpret(code) for _ in range(4)))
            elapsed = time.monotonic() - started
            tick_task.cancel()
            return results, elapsed, ticks

    results, elapsed, ticks = asyncio.run(main())
    assert results == ["done"] * 4
    assert 0.35 < elapsed < 0.75  # two rounds of two, not four in a row (0.8 s)
    assert ticks >= 10  # the loop kept running meanwhile


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_cancelling_the_awaiting_task_terminates_the_javascript(isolation: str) -> None:
    async def main() -> tuple[float, str]:
        box = await create_async_sandbox(max_execution_time=60_000, isolation=isolation)
        task = asyncio.create_task(box.interpret("while (true) {}"))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The isolate is free again at once: the next call does not wait for the loop.
        value = await box.interpret("'free'", timeout=5000)
        waited = time.monotonic() - started
        await box.kill()
        return waited, value

    waited, value = asyncio.run(main())
    assert value == "free" and waited < 2


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_async_errors_and_kill(isolation: str) -> None:
    async def main() -> None:
        box = await create_async_sandbox(max_execution_time=100, isolation=isolation)
        assert isinstance(box, AsyncSandbox)
        with pytest.raises(ExecutionTimeout):
            await box.interpret("for (;;) {}")
        result = await box.execute("console.log('hi'); 1")
        assert result.console[0].text == "hi"
        assert await box.interpret_many(["1 + 1", "2 + 2"]) == ["2", "4"]
        await box.kill()
        with pytest.raises(SandboxKilled):
            await box.interpret("1")

    asyncio.run(main())
