"""When fresh-mode code takes the recycled context: a code refused after misses is not refused for
good (the misses may have been its data's or the moment's doing), and a code whose data no longer
writes is served from the recycled context again."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import ISOLATIONS, needs_recycling

from code_interpreter import create_sandbox

WRITES_WHEN_ASKED = "if (context.write) { globalThis.written = 1; } return 1"


def recycled(sandbox: Any) -> int:
    return int(sandbox.get_status()["isolates"]["contexts_recycled"])


@needs_recycling
@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_a_code_refused_for_misses_is_tried_again_after_runs_in_new_contexts(
    isolation: str,
) -> None:
    with create_sandbox(isolation=isolation, max_concurrent_executions=1) as sandbox:
        for _ in range(8):  # every attempt writes: three misses in a row refuse the code
            assert sandbox.interpret(WRITES_WHEN_ASKED, {"write": True}) == "1"
        before = recycled(sandbox)
        for _ in range(160):
            sandbox.interpret(WRITES_WHEN_ASKED, {"write": False})
        # Refused, each run took a new context until, 32 runs later (on each isolate that
        # refused it), the code was tried again and kept. (Whether every isolate refused it is
        # the machine's timing: an attempt is only made when the time left allows, so no
        # count of the runs in between is asserted.)
        assert recycled(sandbox) - before >= 50
