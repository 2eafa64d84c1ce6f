"""Scripts that try to exhaust memory. Array, string doubling, ArrayBuffer, one big typed
array and Map growth are pinned in tests/limits/test_memory_limits.py; these are the other shapes.
Each runs in a child interpreter: a memory bomb that V8 could not survive must fail one test,
not the whole run."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from tests.conftest import ISOLATIONS, use_isolation


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


CHILD = textwrap.dedent(
    """
    import json, sys
    from code_interpreter import create_sandbox, SandboxError
    code, limit = json.loads(sys.argv[1])
    custom = {"max_code_length": 1 << 20, "max_lines": 100_000}
    with create_sandbox(security_level="custom", custom_security=custom,
                        memory_limit_mb=limit, max_execution_time=20_000) as box:
        try:
            outcome = "value " + str(box.interpret(code))[:60]
        except SandboxError as error:
            outcome = type(error).__name__ + " " + getattr(error, "name", "")
        after = box.interpret("[1, 2, 3].length")
    print(json.dumps([outcome.strip(), after]))
    """
)


def run_in_child(code: str, limit_mb: int = 32) -> tuple[str, str]:
    child = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps([code, limit_mb])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, f"child died ({child.returncode}): {child.stderr[-2000:]}"
    outcome, after = json.loads(child.stdout.strip().splitlines()[-1])
    return outcome, after


BOMBS = {
    "Set growth": "const s = new Set(); let i = 0; while (true) s.add('k' + i++)",
    "string pieces kept in an array": (
        "const a = []; while (true) a.push('x'.repeat(1e6) + a.length)"
    ),
    "typed arrays kept": "const k = []; while (true) k.push(new Float64Array(1 << 17))",
    "ArrayBuffer copies kept": (
        "const b = new ArrayBuffer(1 << 20); const k = []; for (;;) k.push(b.slice(0))"
    ),
    "ArrayBuffer bomb caught and retried in finally": """
        const k = [];
        try { for (;;) k.push(new ArrayBuffer(1 << 20)) } catch (e) {}
        finally { for (;;) k.push(new ArrayBuffer(1 << 20)) }
    """,
    "closures capturing growing arrays": (
        "let f = () => 0; for (let i = 0; ; i++) { const a = new Array(1e4).fill(i); "
        "const g = f; f = () => g() + a.length }"
    ),
    "JSON.parse of many small objects": (
        "const k = []; for (;;) k.push(JSON.parse('[' + '{\"a\":[1,2,3]},'.repeat(1e4) + '1]'))"
    ),
    "Map of Maps": "const m = new Map(); for (let i = 0; ; i++) m.set(i, new Map([[i, [i]]]))",
}


@pytest.mark.parametrize("code", BOMBS.values(), ids=BOMBS.keys())
def test_memory_bomb_is_a_memory_limit_hit_and_the_sandbox_recovers(code: str) -> None:
    assert run_in_child(code) == ("MemoryLimitExceeded", "3")


NOT_BOMBS = {
    "sparse array of length 2**32-1": (
        "const a = []; a[2 ** 32 - 2] = 1; [a.length, Object.keys(a).length].join()",
        "value 4294967295,1",
    ),
    "ArrayBuffer over the maximum length": (
        "try { new ArrayBuffer(2 ** 53) } catch (e) { e.name }",
        "value RangeError",
    ),
    "string over the maximum length": (
        "try { 'x'.repeat(2 ** 30) } catch (e) { e.name }",
        "value RangeError",
    ),
    "sparse length set, then joined": (
        "const a = []; a.length = 2 ** 32 - 1; try { a.join(',') } catch (e) { e.name }",
        "value RangeError",
    ),
}


@pytest.mark.parametrize(("code", "expected"), NOT_BOMBS.values(), ids=NOT_BOMBS.keys())
def test_large_but_bounded_requests_are_not_memory_hits(code: str, expected: str) -> None:
    assert run_in_child(code) == (expected, "3")


def test_typed_array_just_under_and_over_the_limit() -> None:
    assert run_in_child("new Uint8Array(30 << 20).length") == (f"value {30 << 20}", "3")
    assert run_in_child("new Uint8Array(33 << 20).length") == ("MemoryLimitExceeded", "3")


def test_sparse_array_of_maximum_length_as_a_result() -> None:
    code = "const a = []; a[2 ** 32 - 2] = 1; a"
    # Stringified: JSON would be 4 GB of "null,"; V8 refuses the string.
    assert run_in_child(code) == ("ConversionError", "3")
