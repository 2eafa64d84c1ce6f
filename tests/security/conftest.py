from __future__ import annotations

from collections.abc import Iterator

import pytest

from code_interpreter import Sandbox, create_sandbox

# No scanner patterns and room for long code: these cases test what V8 itself enforces.
UNSCANNED = {"max_code_length": 1 << 20, "max_lines": 100_000}


@pytest.fixture
def bare() -> Iterator[Sandbox]:
    with create_sandbox(
        security_level="custom",
        custom_security=UNSCANNED,
        memory_limit_mb=64,
        max_execution_time=2000,
    ) as box:
        yield box
