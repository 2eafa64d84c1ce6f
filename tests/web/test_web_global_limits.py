"""The sandbox's limits hold inside the web platform globals: the host memory they use is
counted against the memory limit, huge inputs end as a memory-limit hit or a RangeError, and
pathological URLs parse in linear time."""

from __future__ import annotations

import sys

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import JavaScriptError, MemoryLimitExceeded, create_sandbox


# Holds most of a 64 MB limit in ArrayBuffer memory, so that what a native function needs next
# is refused by the limit rather than taken from the host.
@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


HOLD = "const hold = new ArrayBuffer(56 << 20);"


@pytest.mark.parametrize(
    "code",
    [
        "btoa('a'.repeat(12e6))",
        "atob('YWJj'.repeat(3e6))",
        "new TextDecoder('utf-16le').decode(new Uint8Array(6e6))",
        "new URL('https://a.test/' + 'x'.repeat(12e6))",
    ],
    ids=["btoa", "atob", "utf-16", "url"],
)
def test_host_memory_of_a_native_function_is_refused_at_the_limit(code: str) -> None:
    with create_sandbox(security_level="moderate", memory_limit_mb=64) as box:
        checked = f"{HOLD} try {{ {code}; 'fit' }} catch (e) {{ e.name }}"
        assert box.interpret(checked) == "RangeError"
        assert box.interpret("btoa('ok')") == "b2s="  # the sandbox goes on


def test_a_structured_clone_past_the_limit_is_a_data_clone_error() -> None:
    with create_sandbox(security_level="moderate", memory_limit_mb=64) as box:
        code = f"""{HOLD}
            const big = 'x'.repeat(12e6);
            try {{ structuredClone([big]); 'fit' }} catch (e) {{ e.name }}"""
        assert box.interpret(code) == "DataCloneError"


@pytest.mark.parametrize(
    "code",
    [
        "btoa('a'.repeat(100e6))",
        "new TextDecoder().decode(new Uint8Array(100e6))",
        "new TextEncoder().encode('\u00e9'.repeat(50e6)).length",
        "structuredClone(new Uint8Array(40e6)).length",
    ],
    ids=["btoa 100 MB", "TextDecoder 100 MB", "TextEncoder 100 MB", "clone 40 MB"],
)
def test_huge_inputs_end_as_a_memory_limit_hit_or_a_catchable_error(code: str) -> None:
    with create_sandbox(security_level="moderate", memory_limit_mb=64) as box:
        try:
            box.interpret(code)
        except MemoryLimitExceeded:
            pass
        except JavaScriptError as error:
            assert error.name in ("RangeError", "DataCloneError")  # the clone's "out of memory"
        else:
            pytest.fail("a 64 MB sandbox produced the result of a huge input")
        assert box.interpret("atob('b2s=')") == "ok"


@pytest.mark.parametrize(
    "url",
    [
        "'https://a.test/' + '%2e./'.repeat(2e5)",
        "'https://' + 'a.'.repeat(1e5) + 'test/'",
        "'https://a.test/?' + '&a=%zz'.repeat(2e5)",
        "'http://[' + '1:'.repeat(1e5) + ']/'",
        "'https://a.test/' + '\\\\'.repeat(4e5)",
    ],
    ids=["dot segments", "labels", "query", "ipv6", "backslashes"],
)
def test_pathological_urls_parse_well_within_the_time_limit(url: str) -> None:
    # Linear parsing takes milliseconds for these; a quadratic parser would take minutes.
    with create_sandbox(security_level="moderate", max_execution_time=5000) as box:
        code = f"const u = {url}; URL.canParse(u) ? new URL(u).href.length : -1"
        assert int(box.interpret(code)) >= -1
