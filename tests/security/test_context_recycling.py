"""Fresh-context mode served by a recycled context: as isolated as a new context.

Code seen before runs first on a kept context in V8's side-effect-free mode; only a run that V8
certified wrote to nothing that existed before it keeps that context for the next run. These
tests run each mutation twice (so the second run is the speculative one) between probes that
are themselves served by the recycled context, and check the probe sees a pristine realm.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import (
    ExecutionTimeout,
    JavaScriptError,
    MemoryLimitExceeded,
    Sandbox,
    _core,
    create_sandbox,
)


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


UNSCANNED = {"max_code_length": 1 << 20, "max_lines": 100_000}
pytestmark = pytest.mark.skipif(
    not _core.RECYCLES_CONTEXTS, reason="this V8 lacks side-effect-free evaluation"
)


def recycled(box: Sandbox) -> int:
    count: int = box.get_status()["isolates"]["contexts_recycled"]
    return count


@pytest.fixture
def box() -> Iterator[Sandbox]:
    with create_sandbox(
        security_level="custom",
        custom_security=UNSCANNED,
        memory_limit_mb=64,
        max_execution_time=5000,
        custom_globals={"config": {"rate": 1, "tags": ["a"]}},
    ) as sandbox:
        yield sandbox


def probe(box: Sandbox, code: str, **kwargs: Any) -> Any:
    """The probe's answer on the recycled context, checked to be served by it. An attempt that
    a preemption pushed past its time budget is declined (and run in a new context), so one
    more try is allowed."""
    box.interpret(code, **kwargs)  # first sight: compiled in a new context
    for _ in range(2):
        before = recycled(box)
        answer = box.interpret(code, **kwargs)
        if recycled(box) == before + 1:
            return answer
    raise AssertionError(f"{code!r} was not served by a recycled context")


def attempted(box: Sandbox) -> bool:
    """Whether any run was attempted on the recycled context: a script's first attempt measures
    the overhead of one, so the figure stays empty while recycling never tries."""
    return box.get_status()["isolates"]["attempt_overhead_ms"] is not None


def assert_recycled(box: Sandbox, before: int, expected: int) -> None:
    """`expected` runs since `before` were recycled, allowing one lost to a preemption (two of
    four or more: with both cores busy, attempts are preempted past their budget now and
    then)."""
    allowed = 2 if expected >= 4 else 1
    assert expected - allowed <= recycled(box) - before <= expected


# (mutation, probe, what the probe answers in a pristine realm)
LEAKS = [
    ("var leaked = 1", "typeof leaked", "undefined"),
    ("leaked = 1", "typeof leaked", "undefined"),
    ("globalThis.leaked = 1; 1", "typeof leaked", "undefined"),
    ("this.leaked = 1; 1", "typeof leaked", "undefined"),
    ("function leaked() {}", "typeof leaked", "undefined"),
    ("let leaked = 1", "typeof leaked", "undefined"),
    ("const leaked = 1", "typeof leaked", "undefined"),
    ("class leaked {}", "typeof leaked", "undefined"),
    ("Array.prototype.leak = 1; 1", "typeof [].leak", "undefined"),
    ("Object.prototype.leak = 1; 1", "typeof ({}).leak", "undefined"),
    ("({}).__proto__.leak = 1; 1", "typeof ({}).leak", "undefined"),
    (
        "Object.defineProperty(Object.prototype, 'leak', {value: 1}); 1",
        "typeof ({}).leak",
        "undefined",
    ),
    ("Reflect.set(Object.prototype, 'leak', 1); 1", "typeof ({}).leak", "undefined"),
    ("Object.setPrototypeOf(Array.prototype, null); 1", "typeof [].hasOwnProperty", "function"),
    ("Array.prototype.push.call(Array.prototype, 7); 1", "Array.prototype.length", "0"),
    ("Math.max = () => 42; 1", "Math.max(1, 2)", "2"),
    ("Array.prototype.map = () => 'evil'; 1", "[1, 2].map(x => x * 2)", "[2,4]"),
    ("delete Array.prototype.map; 1", "typeof [].map", "function"),
    ("JSON.stringify = () => 'evil'; 1", "JSON.stringify({a: 1})", '{"a":1}'),
    ("Error.stackTraceLimit = 0; 1", "new Error('x').stack.includes('at ')", "true"),
    ("Error.prototype.name = 'Evil'; 1", "new Error('x').name", "Error"),
    ("String.prototype.trim = () => 'evil'; 1", "' a '.trim()", "a"),
    ("config.rate = 99; 1", "config.rate", "1"),
    ("config.tags.push('leak'); 1", "config.tags.length", "1"),
    ("console.log = () => {}; 1", "typeof console.log", "function"),
    ("(async () => { await null; globalThis.leaked = 1 })(); 1", "typeof leaked", "undefined"),
    ("Promise.resolve().then(() => { globalThis.leaked = 1 }); 1", "typeof leaked", "undefined"),
    ("({ toJSON() { globalThis.leaked = 1; return 1 } })", "typeof leaked", "undefined"),
    ("Object.freeze(Object.prototype); 1", "Object.isFrozen(Object.prototype)", "false"),
    (
        "Object.preventExtensions(Array.prototype); 1",
        "Object.isExtensible(Array.prototype)",
        "true",
    ),
]


@pytest.mark.parametrize(("mutation", "question", "pristine"), LEAKS)
def test_nothing_one_run_changes_reaches_the_next(
    box: Sandbox, mutation: str, question: str, pristine: str
) -> None:
    assert probe(box, question) == pristine
    for _ in range(3):  # the first run compiles; the others are the speculative ones
        box.interpret(mutation)
    assert probe(box, question) == pristine


def test_a_timer_callback_cannot_leave_anything_behind() -> None:
    with create_sandbox(security_level="moderate") as sandbox:
        assert probe(sandbox, "typeof [].leak") == "undefined"
        for _ in range(3):
            sandbox.interpret("setTimeout(() => { Array.prototype.leak = 1 }, 0); 1")
        assert probe(sandbox, "typeof [].leak") == "undefined"


def test_a_getter_read_while_converting_cannot_leave_anything_behind(box: Sandbox) -> None:
    code = "({ get x() { globalThis.leaked = 1; return 1 } })"
    for _ in range(3):
        assert box.interpret(code, return_raw_result=True) == {"x": 1}
    assert probe(box, "typeof leaked") == "undefined"


def test_regexp_match_state_of_one_run_is_not_visible_to_the_next(box: Sandbox) -> None:
    before = recycled(box)
    for _ in range(3):
        assert box.interpret("/(s\\w+)/.exec('a secret')[1]") == "secret"
    assert_recycled(box, before, 2)  # the match state is left in the recycled context
    for _ in range(2):
        assert box.interpret("RegExp.$1 + '|' + RegExp.lastMatch") == "|"


def test_repeated_plain_code_is_served_by_a_recycled_context(box: Sandbox) -> None:
    before = recycled(box)
    results = [box.interpret("Math.sqrt(16) + 5") for _ in range(10)]
    assert results == ["9"] * 10
    assert_recycled(box, before, 9)  # all but the first, which compiles it
    assert probe(box, "[1, 2, 3].map(x => x * 2)", return_raw_result=True) == [2, 4, 6]
    assert probe(box, "({a: [1, 'b'], c: null})", return_raw_result=True) == {
        "a": [1, "b"],
        "c": None,
    }
    assert probe(box, "console.log('hi'); 3") == "3"


def test_console_output_of_a_recycled_run_is_its_own(box: Sandbox) -> None:
    code = "console.log('once'); 1"
    before = recycled(box)
    for _ in range(3):
        result = box.execute(code)
        assert [line.text for line in result.console] == ["once"]
    assert_recycled(box, before, 2)


def test_code_with_side_effects_runs_as_in_a_new_context_every_time(box: Sandbox) -> None:
    code = "var n = (typeof n === 'number' ? n : 0) + 1; Math.random(); n"
    assert [box.interpret(code) for _ in range(5)] == ["1"] * 5
    assert attempted(box)  # and declined: the global write is seen in the attempt
    assert recycled(box) == 0


def test_errors_read_the_same_on_every_run(box: Sandbox) -> None:
    errors = []
    for _ in range(3):
        with pytest.raises(JavaScriptError) as caught:
            box.interpret("null.x")
        errors.append((caught.value.name, str(caught.value)))
    assert len(set(errors)) == 1
    stacks = {box.interpret("new Error('e').stack.split('\\n')[1].trim()") for _ in range(3)}
    assert stacks == {"at <sandbox>:1:1"}


def put_on_the_recycled_path(box: Sandbox, code: str) -> None:
    """Runs `code` with a short `context.n` until a recycled context serves it: its next run is
    attempted there first, whatever `n` it is given."""
    probe(box, code, context={"n": 1})


def test_a_long_pure_computation_falls_back_and_gives_the_same_answer(box: Sandbox) -> None:
    # Short runs put the code on the recycled path; the long one outruns its attempt's budget.
    code = "(() => { let s = 0; for (let i = 0; i < context.n; i++) s += i % 7; return s })()"
    put_on_the_recycled_path(box, code)
    expected = str(sum(i % 7 for i in range(3_000_000)))
    assert [box.interpret(code, {"n": 3_000_000}) for _ in range(3)] == [expected] * 3


def test_a_promise_result_declines_the_attempt_and_settles_in_a_new_context(
    box: Sandbox,
) -> None:
    # An attempt that makes a promise is declined: its reactions could run after the check.
    assert [box.interpret("(async () => 6 * 7)()") for _ in range(3)] == ["42"] * 3
    assert attempted(box)
    assert recycled(box) == 0


def test_an_endless_pure_loop_on_the_recycled_path_still_times_out(box: Sandbox) -> None:
    code = "(() => { for (let i = 0; i < context.n; i++) {} return 1 })()"
    put_on_the_recycled_path(box, code)
    for _ in range(3):
        with pytest.raises(ExecutionTimeout):
            box.interpret(code, {"n": math.inf}, timeout=100)
    assert box.interpret("1 + 1") == "2"


def test_a_pure_memory_bomb_on_the_recycled_path_still_hits_the_memory_limit(
    box: Sandbox,
) -> None:
    bomb = (
        "(() => { const a = []; for (let i = 0; i < context.n; i++)"
        " a.push(new Array(1000).fill(1.5)); return a.length })()"
    )
    put_on_the_recycled_path(box, bomb)
    for _ in range(2):
        with pytest.raises(MemoryLimitExceeded):
            box.interpret(bomb, {"n": math.inf})
    assert box.interpret("1 + 1") == "2"


def test_speculation_keeps_each_run_to_its_own_per_call_context(box: Sandbox) -> None:
    code = "typeof context === 'undefined' ? 'none' : context.v"
    before = recycled(box)
    assert box.interpret(code, {"v": "a"}) == "a"
    assert box.interpret(code) == "none"
    assert box.interpret(code) == "none"
    assert box.interpret(code, {"v": "b"}) == "b"
    assert_recycled(box, before, 3)  # all but the first, which compiles it


def test_status_keeps_the_recycling_figures_while_an_isolate_is_being_prepared(
    box: Sandbox,
) -> None:
    # Code that needs a new context every time has the pool prepare one on the isolate just
    # released, in idle time. Meanwhile status must still show that isolate's measured attempt
    # overhead and context cost, not only the figures of the unmeasured standby.
    probe(box, "1 + 1")
    seen = []
    for k in range(40):
        box.interpret(f"var g{k} = {k}")  # a global write: this code always takes a new context
        for _ in range(20):
            isolates = box.get_status()["isolates"]
            seen.append((isolates["attempt_overhead_ms"], isolates["new_context_ms"]))
            time.sleep(0.0002)
    assert box.get_status()["isolates"]["contexts_prepared"] > 0
    assert all(overhead is not None and cost is not None for overhead, cost in seen)


def test_function_heavy_scripts_leave_the_cost_of_an_attempt_flat(box: Sandbox) -> None:
    # Every function first called in an attempt leaves a V8 debug record that every later attempt
    # walks. Many scripts of many functions each (each short enough to be attempted) must neither
    # slow down an unrelated `1 + 1` nor push it off the recycled path: the isolate is retired
    # once the records cost too much.
    probe(box, "1 + 1")
    baseline = box.get_status()["isolates"]["attempt_overhead_ms"]
    assert baseline is not None
    for k in range(12):
        for j in range(8):
            functions = ",".join(f"(x) => x + {(k * 8 + j) * 60 + i}" for i in range(60))
            heavy = f"(() => {{ let s = 0; for (const f of [{functions}]) s += f(1); return s }})()"
            for _ in range(2):  # compiled, then attempted: the attempt leaves the records
                box.interpret(heavy)
        before = recycled(box)
        assert [box.interpret("1 + 1") for _ in range(70)] == ["2"] * 70
        # All recycled, but the first after a retirement (it compiles again) and one that a
        # preemption may push past its budget.
        assert 68 <= recycled(box) - before <= 70
        isolates = box.get_status()["isolates"]
        assert isolates["attempt_overhead_ms"] <= baseline + isolates["new_context_ms"] / 8
    assert box.get_status()["isolates"]["isolates_retired"] >= 1


def test_per_call_context_is_read_on_the_recycled_path_and_gone_afterwards(box: Sandbox) -> None:
    before = recycled(box)
    assert [box.interpret("price * qty", {"price": 3, "qty": i}) for i in range(5)] == [
        "0",
        "3",
        "6",
        "9",
        "12",
    ]
    assert_recycled(box, before, 4)
    assert probe(box, "typeof price + typeof qty + typeof context") == "undefinedundefinedundefined"
    keys = probe(box, "Object.keys(globalThis).join()").split(",")
    assert "config" in keys
    assert not {"context", "price", "qty"} & set(keys)


def test_per_call_context_changed_by_the_script_never_reaches_the_next_run(box: Sandbox) -> None:
    # The context is built when first read, inside the attempt: the script may change it.
    code = "context.items.push(9); items.push(8); return context.items.join()"
    before = recycled(box)
    assert [box.interpret(code, {"items": [1]}) for _ in range(4)] == ["1,9,8"] * 4
    assert_recycled(box, before, 3)
    assert probe(box, "typeof items + typeof context") == "undefinedundefined"


def test_per_call_context_globals_look_the_same_on_every_path(box: Sandbox) -> None:
    code = """[JSON.stringify(Object.getOwnPropertyDescriptor(globalThis, 'qty')),
              context.data === data, Object.keys(globalThis).slice(-3).join(),
              typeof toString, 'constructor' in globalThis].join('|')"""
    context = {"qty": 4, "data": {"a": 1}, "toString": 1, "constructor": 2}
    before = recycled(box)
    answers = {box.interpret(code, context) for _ in range(4)}
    assert_recycled(box, before, 3)
    assert answers == {
        '{"value":4,"writable":true,"enumerable":true,"configurable":true}'
        "|true|context,qty,data|function|true"
    }


def test_function_bodies_are_recycled_too(box: Sandbox) -> None:
    assert probe(box, "return 6 * 7") == "42"
    assert (
        probe(box, "return context.numbers.reduce((s, n) => s + n, 0)", context={"numbers": [1, 2]})
        == "3"
    )


def test_a_stack_returned_from_a_function_body_is_the_same_on_every_run(box: Sandbox) -> None:
    code = "return new Error('x').stack.split('\\n')[1].trim()"
    assert {box.interpret(code) for _ in range(3)} == {"at <sandbox>:1:8"}
    assert attempted(box)  # and declined: the answer after it is the new context's


def test_a_custom_global_named_context_survives_per_call_contexts() -> None:
    with create_sandbox(custom_globals={"context": {"v": 1}}) as sandbox:
        assert [sandbox.interpret("context.v", {"v": 2}) for _ in range(3)] == ["2"] * 3
        assert [sandbox.interpret("context.v") for _ in range(3)] == ["1"] * 3


def test_a_side_effect_that_depends_on_the_data_is_declined_only_when_it_happens(
    box: Sandbox,
) -> None:
    code = "if (context.flag) globalThis.leaked = 1; return typeof leaked"
    flags = [False, False, True, False, True, False, False]
    before = recycled(box)
    answers = [box.interpret(code, {"flag": flag}) for flag in flags]
    assert answers == ["number" if flag else "undefined" for flag in flags]
    assert_recycled(box, before, 4)  # the false runs after the first, which compiles it
    assert probe(box, "typeof leaked") == "undefined"


def test_array_from_an_array_like_runs_on_the_recycled_path(box: Sandbox) -> None:
    code = """JSON.stringify([
        Array.from({length: 3}, (_, i) => i * i),
        Array.from({length: 2}),
        Array.from({length: 1, 0: 'x'}, function (v) { return this.p + v }, {p: '>'}),
    ])"""
    compiled = box.interpret(code)
    assert compiled == '[[0,1,4],[null,null],[">x"]]'
    assert probe(box, code) == compiled
    other = "Array.from.call(Object, {length: 1}).constructor === Object"
    assert [box.interpret(other) for _ in range(3)] == ["true"] * 3  # the builtin's path


def test_one_slow_run_in_a_new_context_does_not_keep_code_on_a_slower_path(box: Sandbox) -> None:
    # Callbacks cost several times more in the recycled context's checked mode than in a new
    # context. The first run reads a large context, so it sets a high bar for the attempts
    # that follow; the code still ends up running in new contexts, where it is faster.
    code = "Array.from({length: 1000}, (_, i) => i).map((x) => x * 2).reduce((a, b) => a + b, 0)"
    expected = str(sum(range(1000)) * 2)
    assert box.interpret(code, {"pad": list(range(300_000))}) == expected
    for _ in range(60):
        box.interpret(code, {"pad": []})
    assert attempted(box)
    before = recycled(box)
    for _ in range(40):
        assert box.interpret(code, {"pad": []}) == expected
    assert recycled(box) - before < 40


def test_what_one_isolate_learned_serves_the_pools_other_isolates() -> None:
    # Which isolate of a pool serves a call depends on the caller's timing; how much is recycled
    # must not. Code run once on one isolate is attempted on another the first time it lands
    # there. Host calls that wait hold the isolates in turn, so the code lands elsewhere; a pool
    # may also hold a standby isolate, so each round checks where the code landed (an isolate
    # that never ran it compiles it) and judges only such a landing.

    def holder(gate: threading.Event, entered: threading.Event) -> Callable[[], None]:
        def hold() -> None:
            entered.set()
            gate.wait(30)

        return hold

    for round_ in range(6):
        gates = [threading.Event(), threading.Event()]
        entered = [threading.Event(), threading.Event()]
        with create_sandbox(
            expose={f"hold{i}": holder(gates[i], entered[i]) for i in range(2)},
            max_concurrent_executions=2,
            max_execution_time=30_000,
        ) as box:
            code = f"[3, 1, 2, {round_}].sort().map((x) => x * 10).join()"
            first = threading.Thread(target=box.interpret, args=("hold0()",))
            first.start()
            assert entered[0].wait(30)
            expected = box.interpret(code)  # on another isolate: compiled there
            second = threading.Thread(target=box.interpret, args=("hold1()",))
            second.start()
            assert entered[1].wait(30)
            gates[0].set()
            first.join(30)
            isolates = box.get_status()["isolates"]
            assert box.interpret(code) == expected
            after = box.get_status()["isolates"]
            gates[1].set()
            second.join(30)
            if after["compilations"] > isolates["compilations"]:  # an isolate new to the code
                assert after["contexts_recycled"] == isolates["contexts_recycled"] + 1
                return
    pytest.fail("the code never landed on an isolate that had not run it")
