"""Scripts that try to reach code generation, host objects or a later execution's state.

They run without scanner patterns, so what is pinned here is V8's own enforcement."""

from __future__ import annotations

import contextlib
import sys

import pytest
from tests.conftest import ISOLATIONS, use_isolation

from code_interpreter import (
    ConversionError,
    ExecutionTimeout,
    JavaScriptError,
    Sandbox,
    create_sandbox,
)


@pytest.fixture(autouse=True, params=ISOLATIONS)
def isolation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_isolation(monkeypatch, sys.modules[__name__], request.param)
    return request.param


UNSCANNED = {"max_code_length": 1 << 20, "max_lines": 100_000}

# -- code generation from strings ----------------------------------------------------------------
CODE_GENERATION = {
    "eval": "eval('1 + 1')",
    "new Function": "new Function('return 1')()",
    "Function call": "Function('return 1')()",
    "indirect eval": "(0, eval)('1')",
    "computed eval": "globalThis['ev' + 'al']('1')",
    "constructor chain": "this.constructor.constructor('return 1')()",
    "function constructor chain": "(() => 1).constructor('return 1')()",
    "computed constructor key": "const k = 'constr' + 'uctor'; (() => 1)[k][k]('return 1')()",
    "async function constructor": "(async () => 1).constructor('return 1')()",
    "generator function constructor": "(function* () {}).constructor('yield 1')().next()",
    "async generator prototype": (
        "Object.getPrototypeOf(async function* () {}).constructor('return 1')"
    ),
    "setTimeout string": "typeof setTimeout === 'function' ? setTimeout('1') : eval('1')",
    "Reflect.construct": "Reflect.construct(Function, ['return 1'])()",
    "a built-in method's constructor": "[].map.constructor('return 1')()",
    "bound function's constructor": "(function () {}).bind(null).constructor('return 1')()",
    "getter from a property descriptor": (
        "Object.getOwnPropertyDescriptor(Object.prototype, '__proto__').get"
        ".constructor('return 1')()"
    ),
    "class constructor's constructor": "(class {}).constructor('return 1')()",
    "Function.prototype.call.call": "Function.prototype.call.call(Function, null, 'return 1')()",
    "call site getFunction in prepareStackTrace": """
        Error.prepareStackTrace = (e, sites) => sites[0].getFunction();
        function inner() { return new Error().stack }
        inner().constructor('return 1')()
    """,
    "constructor of a Proxy": "new Proxy(function () {}, {}).constructor('return 1')()",
}
# Routes with no word any level's scanner blocks: whatever the level, V8 must refuse them.
PAST_THE_SCANNER = [
    "computed eval",
    "constructor chain",
    "function constructor chain",
    "computed constructor key",
    "async function constructor",
    "a built-in method's constructor",
    "class constructor's constructor",
]


@pytest.mark.parametrize("code", CODE_GENERATION.values(), ids=CODE_GENERATION.keys())
def test_every_route_to_code_generation_throws_eval_error(bare: Sandbox, code: str) -> None:
    with pytest.raises(JavaScriptError) as caught:
        bare.interpret(code)
    assert caught.value.name == "EvalError"


@pytest.mark.parametrize("route", PAST_THE_SCANNER)
@pytest.mark.parametrize("level", ["strict", "moderate", "permissive"])
def test_code_generation_past_the_scanner_throws_eval_error_at_every_level(
    level: str, route: str
) -> None:
    with create_sandbox(security_level=level) as box:
        with pytest.raises(JavaScriptError) as caught:
            box.interpret(CODE_GENERATION[route])
        assert caught.value.name == "EvalError"


# -- Error.prepareStackTrace ---------------------------------------------------------------------
def test_call_sites_expose_only_sandbox_objects(bare: Sandbox) -> None:
    code = """
        Error.prepareStackTrace = (e, sites) => sites.map(s => {
          const self = s.getThis();
          return [s.getFunctionName(), self === globalThis || self === undefined,
                  s.getFileName()];
        });
        function inner() { return new Error('x').stack }
        inner()
    """
    frames = bare.interpret(code, return_raw_result=True)
    assert frames[0][0] == "inner"
    assert all(same_realm for _, same_realm, _ in frames)
    assert {file for _, _, file in frames} == {"<sandbox>"}


def test_prepare_stack_trace_that_loops_while_the_host_reads_the_error_times_out(
    bare: Sandbox,
) -> None:
    with pytest.raises(ExecutionTimeout):
        bare.interpret(
            "Error.prepareStackTrace = () => { for (;;) {} }; throw new Error('x')", timeout=200
        )
    assert bare.interpret("new Error('y').stack.split('\\n')[0]") == "Error: y"


def test_prepare_stack_trace_that_throws_leaves_the_original_error(bare: Sandbox) -> None:
    with pytest.raises(JavaScriptError) as caught:
        bare.interpret(
            "Error.prepareStackTrace = () => { throw new Error('inner') };"
            " throw new TypeError('outer')"
        )
    assert (caught.value.name, caught.value.message) == ("TypeError", "outer")


def test_prepare_stack_trace_returning_an_object_gives_an_error_with_no_stack(
    bare: Sandbox,
) -> None:
    with pytest.raises(JavaScriptError) as caught:
        bare.interpret(
            "Error.prepareStackTrace = () => ({ toString() { for (;;) {} } });"
            " throw new RangeError('r')"
        )
    assert (caught.value.name, caught.value.message) == ("RangeError", "r")


# -- Thrown values whose reading runs script code -----------------------------------------------
def test_thrown_object_with_a_looping_name_getter_times_out(bare: Sandbox) -> None:
    with pytest.raises(ExecutionTimeout):
        bare.interpret("throw { get name() { for (;;) {} } }", timeout=200)


def test_thrown_object_with_a_throwing_name_getter_keeps_its_message(bare: Sandbox) -> None:
    with pytest.raises(JavaScriptError) as caught:
        bare.interpret("throw { get name() { throw new Error('n') }, message: 'm' }")
    assert (caught.value.name, caught.value.message) == ("Error", "m")


def test_thrown_proxy_with_a_looping_trap_times_out(bare: Sandbox) -> None:
    with pytest.raises(ExecutionTimeout):
        bare.interpret("throw new Proxy({}, { get() { for (;;) {} } })", timeout=200)


def test_thrown_proxy_with_a_throwing_trap_is_a_plain_error(bare: Sandbox) -> None:
    with pytest.raises(JavaScriptError) as caught:
        bare.interpret("throw new Proxy({}, { get() { throw 1 } })")
    assert caught.value.name == "Error"


# -- Symbol.species -------------------------------------------------------------------------------
def test_species_getter_that_loops_times_out(bare: Sandbox) -> None:
    code = """
        class A extends Array { static get [Symbol.species]() { for (;;) {} } }
        new A(1, 2, 3).map(x => x)
    """
    with pytest.raises(ExecutionTimeout):
        bare.interpret(code, timeout=200)


def test_species_constructor_result_is_converted_as_a_plain_object(bare: Sandbox) -> None:
    code = """
        class A extends Array { static get [Symbol.species]() { return function () { return {} } } }
        new A(1, 2, 3).map(x => x * 2)
    """
    assert bare.interpret(code, return_raw_result=True) == {"0": 2, "1": 4, "2": 6}


def test_promise_species_cannot_hijack_the_awaited_result(bare: Sandbox) -> None:
    code = """
        class Evil extends Promise { static get [Symbol.species]() { return Promise } }
        const p = Evil.resolve(5);
        p.then = function () { for (;;) {} };
        p
    """
    assert bare.interpret(code, timeout=500) == "5"


# -- Thenables and toString/valueOf while the host reads the result -----------------------------
def test_thenable_result_is_not_awaited(bare: Sandbox) -> None:
    assert bare.interpret("({ then(resolve) { for (;;) {} } })", timeout=500) == "{}"
    with pytest.raises(ConversionError, match=r"function at result\.then"):
        bare.interpret("({ then(resolve) { resolve(1) } })", return_raw_result=True)


def test_thenable_resolved_through_a_promise_is_followed(bare: Sandbox) -> None:
    assert bare.interpret("Promise.resolve({ then(resolve) { resolve(7) } })") == "7"


def test_thenable_that_loops_inside_a_returned_promise_times_out(bare: Sandbox) -> None:
    with pytest.raises(ExecutionTimeout):
        bare.interpret("(async () => ({ then() { for (;;) {} } }))()", timeout=200)


def test_promise_then_getter_on_the_prototype_is_not_consulted(bare: Sandbox) -> None:
    code = "Object.defineProperty(Promise.prototype, 'then', { get() { for (;;) {} } }); " + (
        "Promise.resolve(5)"
    )
    assert bare.interpret(code, timeout=500) == "5"


def test_to_string_and_value_of_are_not_called_on_object_results(bare: Sandbox) -> None:
    code = "({ toString() { for (;;) {} }, valueOf() { for (;;) {} }, a: 1 })"
    assert bare.interpret(code, timeout=500) == '{"a":1}'
    assert bare.interpret("String(1n)", timeout=500) == "1"


def test_to_json_on_object_prototype_decides_the_stringified_result(bare: Sandbox) -> None:
    # The script's own JSON semantics apply to its own result, inside its deadline.
    assert bare.interpret("Object.prototype.toJSON = () => 'mine'; ({a: 1})") == '"mine"'
    with pytest.raises(ExecutionTimeout):
        bare.interpret(
            "Object.defineProperty(Object.prototype, 'toJSON', { get() { for (;;) {} } }); ({})",
            timeout=200,
        )


def test_replacing_json_stringify_does_not_change_how_the_host_reads_results(
    bare: Sandbox,
) -> None:
    assert bare.interpret("JSON.stringify = () => 'hijacked'; ({a: 1})") == '{"a":1}'


def test_getter_that_changes_on_every_read_is_read_once(bare: Sandbox) -> None:
    code = "let n = 0; ({ get v() { return ++n }, get reads() { return n } })"
    assert bare.interpret(code, return_raw_result=True) == {"v": 1, "reads": 1}


def test_getter_that_adds_properties_during_conversion_is_consistent(bare: Sandbox) -> None:
    code = "const o = { get a() { o.b = 2; return 1 } }; o"
    value = bare.interpret(code, return_raw_result=True)
    assert value["a"] == 1 and set(value) <= {"a", "b"}


def test_result_getter_that_throws_is_a_javascript_error(bare: Sandbox) -> None:
    with pytest.raises(JavaScriptError) as caught:
        bare.interpret("({ get x() { throw new TypeError('nope') } })", return_raw_result=True)
    assert (caught.value.name, caught.value.message) == ("TypeError", "nope")


# -- Prototype pollution through context keys -----------------------------------------------------
POLLUTING_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"]


@pytest.mark.parametrize("key", POLLUTING_KEYS)
def test_context_key_stays_an_own_data_property(bare: Sandbox, key: str) -> None:
    code = f"""
        const d = Object.getOwnPropertyDescriptor(context, {key!r});
        [Object.getPrototypeOf(context) === Object.prototype, 'value' in d,
         d.value.polluted, ({{}}).polluted === undefined, typeof Object.prototype[{key!r}]]
    """
    before = bare.interpret(f"typeof Object.prototype[{key!r}]")
    result = bare.interpret(code, {key: {"polluted": True}}, return_raw_result=True)
    assert result == [True, True, True, True, before]


def test_nested_proto_keys_in_context_do_not_reach_any_prototype(bare: Sandbox) -> None:
    context = {"a": {"__proto__": {"x": 1}, "list": [{"__proto__": {"y": 2}}]}}
    code = """[Object.getPrototypeOf(context.a) === Object.prototype,
               Object.getPrototypeOf(context.a.list[0]) === Object.prototype,
               ({}).x, ({}).y, context.a.__proto__.x, context.a.list[0].__proto__.y]"""
    assert bare.interpret(code, context, return_raw_result=True) == [True, True, None, None, 1, 2]


def test_context_keys_cannot_replace_builtins_or_the_context_global(bare: Sandbox) -> None:
    context = {"Object": 1, "JSON": 2, "Array": 3, "context": 4, "globalThis": 5, "undefined": 6}
    code = (
        "[typeof Object, typeof JSON, typeof Array, typeof context, typeof globalThis, undefined]"
    )
    assert bare.interpret(code, context, return_raw_result=True) == [
        "function",
        "object",
        "function",
        "object",
        "object",
        None,
    ]
    assert bare.interpret("context.Object + context.context", context) == "5"


# -- State leaking between executions -----------------------------------------------------------
LEAK_ATTEMPTS = {
    "Object.prototype property": ("Object.prototype.leaked = 1", "({}).leaked"),
    "replaced built-in": ("JSON.parse = () => 'leaked'", "JSON.parse('1')"),
    "frozen intrinsic": ("Object.freeze(Array.prototype)", "Object.isFrozen(Array.prototype)"),
    "Symbol registry": ("Symbol.for('leak').description", "Symbol.keyFor(Symbol.for('x'))"),
    "global lexical binding": ("let leaked = 1", "typeof leaked"),
    "Error.prepareStackTrace": (
        "Error.prepareStackTrace = () => 'leaked'",
        "new Error('e').stack.split('\\n')[0]",
    ),
    "queued microtask": (
        "Promise.resolve().then(() => { globalThis.late = 1 }); throw new Error('stop')",
        "typeof late",
    ),
    "pending promise's continuation": (
        "new Promise(() => {}).finally(() => { globalThis.late = 1 })",
        "typeof late",
    ),
    "console replaced": ("console.log = () => { for (;;) {} }", "console.log('x'); 'ok'"),
}
CLEAN_RESULTS = {
    "Object.prototype property": "undefined",
    "replaced built-in": "1",
    "frozen intrinsic": "false",
    "Symbol registry": "x",
    "global lexical binding": "undefined",
    "Error.prepareStackTrace": "Error: e",
    "queued microtask": "undefined",
    "pending promise's continuation": "undefined",
    "console replaced": "ok",
}


@pytest.mark.parametrize("name", LEAK_ATTEMPTS.keys())
def test_fresh_contexts_share_nothing_between_executions(bare: Sandbox, name: str) -> None:
    first, probe = LEAK_ATTEMPTS[name]
    # The attempt may itself fail; only what the next execution sees matters.
    with contextlib.suppress(JavaScriptError):
        bare.interpret(first, timeout=500)
    assert bare.interpret(probe, timeout=500) == CLEAN_RESULTS[name]


def test_sandboxes_share_nothing_between_them() -> None:
    settings = {"security_level": "custom", "custom_security": UNSCANNED}
    with (
        create_sandbox(persistent_context=True, **settings) as one,
        create_sandbox(persistent_context=True, **settings) as two,
    ):
        one.interpret("globalThis.secret = 's3cr3t'; Object.prototype.mark = 1")
        assert two.interpret("[typeof secret, ({}).mark]", return_raw_result=True) == [
            "undefined",
            None,
        ]


def test_context_objects_are_copies_the_host_never_sees_changed(bare: Sandbox) -> None:
    data = {"items": [1, 2], "nested": {"k": "v"}}
    bare.interpret(
        "context.items.push(3); context.nested.k = 'changed'; delete context.items", data
    )
    assert data == {"items": [1, 2], "nested": {"k": "v"}}


def test_no_host_reachable_from_the_global_object(bare: Sandbox) -> None:
    code = """
        const names = Object.getOwnPropertyNames(globalThis);
        names.filter(n => ['require', 'process', 'Buffer', 'module', 'global', 'os', 'fs',
                           'SharedArrayBuffer', 'Atomics', '__python__'].includes(n))
    """
    assert bare.interpret(code, return_raw_result=True) == []
