"""`execute` returns an ExecutionResult whose value is the Python value, while `interpret`
gives the stringified result."""

from __future__ import annotations

import asyncio
import datetime
import sys

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import create_async_sandbox, create_sandbox


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


def test_execute_gives_the_raw_value_and_interpret_the_stringified_one() -> None:
    with create_sandbox() as box:
        assert box.execute("41 + 1").value == 42
        assert box.execute("({a: [1, 'b'], c: null})").value == {"a": [1, "b"], "c": None}
        assert box.execute("new Date(0)").value == datetime.datetime(
            1970, 1, 1, tzinfo=datetime.timezone.utc
        )
        assert box.execute("41 + 1", return_raw_result=False).value == "42"
        assert box.interpret("41 + 1") == "42"


def test_async_execute_gives_the_raw_value_too() -> None:
    async def main() -> tuple[object, object]:
        async with await create_async_sandbox() as box:
            raw = (await box.execute("[1, 2].map(x => x * 2)")).value
            text = (await box.execute("[1, 2]", return_raw_result=False)).value
            return raw, text

    assert asyncio.run(main()) == ([2, 4], "[1,2]")
