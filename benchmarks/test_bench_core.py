"""pytest-benchmark suite of this package alone (run by ci/bench; the peers are in
compare.py). Each workload in both modes where it applies: fresh context and persistent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from code_interpreter import Sandbox, create_sandbox

from .compare import W1, W2, W3, W4_DATA, W4_JS_DIRECT, W5

pytestmark = pytest.mark.filterwarnings("ignore::pytest_benchmark.logger.PytestBenchmarkWarning")


@pytest.fixture(scope="module", params=["fresh", "persistent"])
def box(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with create_sandbox(
        max_execution_time=60_000, persistent_context=request.param == "persistent"
    ) as sandbox:
        yield sandbox


@pytest.mark.benchmark(group="W1 trivial eval")
def test_w1(benchmark: Any, box: Sandbox) -> None:
    assert benchmark(box.interpret, W1) == "9"


@pytest.mark.benchmark(group="W2 sum of squares")
def test_w2(benchmark: Any, box: Sandbox) -> None:
    assert benchmark(box.interpret, W2) == "55"


@pytest.mark.benchmark(group="W3 1k-array map/filter/reduce")
def test_w3(benchmark: Any, box: Sandbox) -> None:
    expected = str(sum(x for x in (i * 2 for i in range(1000)) if x % 3))
    assert benchmark(box.interpret, W3) == expected


@pytest.mark.benchmark(group="W4 1,000-entry dict round trip")
def test_w4(benchmark: Any, box: Sandbox) -> None:
    result = benchmark(box.interpret, W4_JS_DIRECT, {"data": W4_DATA}, return_raw_result=True)
    assert len(result) == 1000 and result["k999"]["seen"] is True


@pytest.mark.benchmark(group="W5 fib(25)")
def test_w5(benchmark: Any, box: Sandbox) -> None:
    assert benchmark(box.interpret, W5) == "75025"


@pytest.mark.benchmark(group="W6b new sandbox")
def test_w6b(benchmark: Any) -> None:
    def new_sandbox() -> str:
        with create_sandbox() as sandbox:
            return str(sandbox.interpret("1+1"))

    assert benchmark(new_sandbox) == "2"
