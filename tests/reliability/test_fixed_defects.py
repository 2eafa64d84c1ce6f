"""Scripts that once took the process down or misreported, each pinned by its reproducer."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest

from code_interpreter import (
    ConversionError,
    ExecutionTimeout,
    MemoryLimitExceeded,
    SandboxKilled,
    create_sandbox,
)

PROCESS_KILLERS = {
    "huge JSON.parse": "JSON.parse('[' + '1,'.repeat(5e7) + '1]')",
    "Array.from of a 2**32-1 array-like": "Array.from({length: 2**32-1})",
    "Set from 3e7 keys": "new Set(Array(3e7).keys())",
    "object with endless keys": "const o = {}; let i = 0; while (true) o['k' + i++] = i",
    "array-like whose length changes between reads": (
        "let n = 0; Array.prototype.sort.call({get length() { return n++ ? 2**32-1 : 0 }})"
    ),
    "Proxy whose length changes between reads": (
        "let n = 0; new Proxy([], {get(t, k) { return k === 'length' ? (n++ ? 2**32-1 : 0)"
        " : t[k] }}).sort()"
    ),
    "Array.from of an array-like whose length changes": (
        "let n = 0; Array.from({get length() { return n++ ? 2**32-1 : 2 }})"
    ),
    # The guard copies array-likes with V8's slice; these reach for a Symbol.species copy
    # whose length lies.
    "Array.from of an iterator-less array with a lying species": (
        "const a = [1, 2]; a[Symbol.iterator] = undefined; a.constructor = {[Symbol.species]:"
        " function () { return {get length() { return 2**32-1 }, set length(v) {}} }};"
        " Array.from(a)"
    ),
    "generic map on a Proxy of an array with a lying species": (
        "const liar = {[Symbol.species]: function () { return {get length() {"
        " return 2**32-1 }, set length(v) {}} }}; Array.prototype.map.call(new Proxy([1, 2],"
        " {get(t, k) { return k === 'constructor' ? liar : t[k] }}), (x) => x)"
    ),
}


@pytest.mark.parametrize("code", PROCESS_KILLERS.values(), ids=PROCESS_KILLERS.keys())
def test_script_that_once_aborted_v8_gives_a_typed_outcome(code: str) -> None:
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                from code_interpreter import SandboxError, create_sandbox
                box = create_sandbox(memory_limit_mb=32, max_execution_time=20_000,
                                     security_level="custom",
                                     custom_security={{"max_code_length": 1 << 20}})
                try:
                    box.interpret({code!r}, return_raw_result=True)
                    print("value")
                except SandboxError as error:
                    print(type(error).__name__)
                print(box.interpret("1 + 1"))
                """
            ),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    outcome, after = child.stdout.split()
    assert outcome in {"MemoryLimitExceeded", "ConversionError", "JavaScriptError", "value"}
    assert after == "2"


# (module (memory (export "m") 1 1 shared))
SHARED_MEMORY_MODULE = "new Uint8Array([0,97,115,109,1,0,0,0,5,4,1,3,1,1,7,5,1,1,109,2,0])"
EMPTY_MODULE = "new WebAssembly.Module(new Uint8Array([0,97,115,109,1,0,0,0]))"
# Each way a permissive context could come by a shared memory: code that sets `buffer`.
SHARED_MEMORY_ROUTES = {
    "Memory": "buffer = new WebAssembly.Memory({initial: 1, maximum: 1, shared: true}).buffer",
    "Memory, descriptor that changes its answer": (
        "let asked = 0; buffer = new WebAssembly.Memory({initial: 1, maximum: 1,"
        " get shared() { return asked++ > 0 }}).buffer"
    ),
    "a memory's constructor": (
        "const Made = new WebAssembly.Memory({initial: 1}).constructor;"
        " buffer = new Made({initial: 1, maximum: 1, shared: true}).buffer"
    ),
    "Instance": (
        f"const module = new WebAssembly.Module({SHARED_MEMORY_MODULE});"
        " buffer = new WebAssembly.Instance(module).exports.m.buffer"
    ),
    "an instance's constructor": (
        f"const module = new WebAssembly.Module({SHARED_MEMORY_MODULE});"
        f" const Made = new WebAssembly.Instance({EMPTY_MODULE}).constructor;"
        " buffer = new Made(module).exports.m.buffer"
    ),
    "instantiate": (
        f"const module = new WebAssembly.Module({SHARED_MEMORY_MODULE});"
        " buffer = (await WebAssembly.instantiate(module)).exports.m.buffer"
    ),
    "instantiate of bytes": (
        f"const {{instance}} = await WebAssembly.instantiate({SHARED_MEMORY_MODULE});"
        " buffer = instance.exports.m.buffer"
    ),
}


@pytest.mark.parametrize("route", SHARED_MEMORY_ROUTES.values(), ids=SHARED_MEMORY_ROUTES.keys())
def test_shared_webassembly_memory_gives_no_shared_array_buffer(route: str) -> None:
    """No level offers shared memory. V8 10 makes WebAssembly memories unshared (a flag; a
    module declaring a shared one does not compile); on V8 13.6 a guard refuses each shared
    memory before the script sees it (core/realm/shared_memory_guard.h)."""
    probe = (
        f"let buffer; try {{ {route} }} catch (e) {{ return e.name }}"
        " return buffer.constructor.name"
    )
    with create_sandbox(security_level="permissive") as box:
        answer = box.interpret(probe)
        assert answer in {"ArrayBuffer", "TypeError", "CompileError"}
        # Unshared memories still work, and shared memory's globals stay out of reach.
        assert box.interpret("new WebAssembly.Memory({initial: 1}).buffer.byteLength") == "65536"
        assert box.interpret("typeof Atomics + typeof SharedArrayBuffer") == "undefinedundefined"


def test_forked_child_can_drop_a_parent_sandbox() -> None:
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import gc, os
                from code_interpreter import create_sandbox, quick_interpret
                box = create_sandbox()
                box.interpret("1")
                quick_interpret("1")
                pid = os.fork()
                if pid == 0:
                    del box
                    gc.collect()
                    try:
                        quick_interpret("1")
                    except Exception as error:
                        print("child:", type(error).__name__, flush=True)
                    os._exit(0)
                _, status = os.waitpid(pid, 0)
                print("status", status)
                """
            ),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    assert "status 0" in child.stdout


def test_immediate_kill_stops_a_getter_looping_while_the_result_is_read() -> None:
    box = create_sandbox(max_execution_time=8000)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            box.interpret("({ get slow() { for (;;) {} } })", return_raw_result=True)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    box.kill(graceful=False)
    thread.join(10)
    assert time.monotonic() - started < 2
    assert len(errors) == 1 and isinstance(errors[0], SandboxKilled)


def test_collectable_array_buffers_are_not_a_memory_limit_hit() -> None:
    code = "let n = 0; for (let i = 0; i < 200; i++) n += new ArrayBuffer(4 << 20).byteLength; n"
    with create_sandbox(memory_limit_mb=32) as box:
        assert box.interpret(code) == str(200 * (4 << 20))
        with pytest.raises(MemoryLimitExceeded):
            box.interpret("const k = []; while (true) k.push(new ArrayBuffer(4 << 20))")


def test_a_stopped_memory_hog_is_not_charged_to_the_next_execution() -> None:
    # A hog stopped by its timeout could stay alive into the next execution on its isolate (the
    # next full collection still found its context alive) and be charged to it (ci/stress:
    # light calls failing beside bombs). Here 1 pair in 30 failed, in 4 of 10 sandboxes:
    # timeouts from 20 to 50 ms stop the hog at many stages of its growth.
    hog = "const a = []; while (true) a.push(new Array(1000).fill(1.5))"
    arrays = 2500  # 20 MB alive: fits the limit unless the hog's leftovers are counted
    follower = (
        f"const b = []; for (let i = 0; i < {arrays}; i++) b.push(new Array(1000).fill(2.5));"
        " b.length"
    )
    for sandbox in range(10):
        with create_sandbox(
            memory_limit_mb=32, max_execution_time=10_000, max_concurrent_executions=1
        ) as box:
            for timeout in range(20, 52, 2):
                with pytest.raises((ExecutionTimeout, MemoryLimitExceeded)):
                    box.interpret(hog, timeout=timeout)
                assert box.interpret(follower) == str(arrays), f"sandbox {sandbox}, {timeout} ms"


def test_a_stopped_run_costs_its_isolate_only_when_it_holds_much_memory() -> None:
    holding = (
        "const a = []; for (let i = 0; i < 1500; i++) a.push(new Array(1000)); while (true) {}"
    )
    with create_sandbox(
        memory_limit_mb=32, max_execution_time=10_000, max_concurrent_executions=1
    ) as box:

        def retired() -> int:
            return int(box.get_status()["isolates"]["isolates_retired"])

        with pytest.raises(ExecutionTimeout):
            box.interpret("while (true) {}", timeout=20)
        assert retired() == 0  # a plain timeout keeps its isolate
        with pytest.raises(ExecutionTimeout):
            box.interpret(holding, timeout=200)  # 12 MB of the 32 alive when stopped
        assert retired() == 1
        assert box.interpret("1 + 1") == "2"


def test_path_with_a_lone_surrogate_key_is_a_conversion_error() -> None:
    with create_sandbox() as box, pytest.raises(ConversionError, match="invalid Date"):
        box.interpret("({'\\ud800': new Date(NaN)})", return_raw_result=True)


def test_top_level_for_await() -> None:
    code = (
        "async function* g() { yield 1; yield 2 }\nlet s = 0;\nfor await (const x of g()) s += x;"
    )
    with create_sandbox() as box:
        assert box.interpret(code + "\nreturn s") == "3"
        assert box.interpret(code) == "undefined"  # an async body gives its value by `return`


ARRAY_LIKE_COPIES = {
    # Holes stay holes, elements are read in index order, the length only once.
    "Array.from reads elements in order": (
        "const log = []; const o = {get length() { log.push('length'); return 4 },"
        " get 0() { log.push(0); return 'a' }, get 2() { log.push(2); return 'c' }};"
        " [Array.from(o, (v, i) => `${i}:${v}`), log]",
        [["0:a", "1:undefined", "2:c", "3:undefined"], ["length", 0, 2]],
    ),
    "generic map keeps holes": (
        "Object.keys(Array.prototype.map.call({length: 4, 1: 2, 3: 4}, (x) => x * 10))",
        ["1", "3"],
    ),
    "generic reverse writes back": (
        "const o = {length: 3, 0: 'a', 2: 'c'}; Array.prototype.reverse.call(o); o",
        {"0": "c", "2": "a", "length": 3},
    ),
    "inherited elements are copied": (
        "Array.from(Object.create({0: 'p', 1: 'q'}, {length: {value: 2}}))",
        ["p", "q"],
    ),
    "a Proxy array-like": (
        "Array.prototype.join.call(new Proxy({length: 3, 0: 1, 2: 3}, {}), '-')",
        "1--3",
    ),
    "globals the script replaced do not reach the guard": (
        "Math.trunc = Math.min = Number = () => { throw new Error('reached') };"
        " Array.from({length: 2}, (_, i) => i)",
        [0, 1],
    ),
    "an array without its iterator": (
        "const a = [1, , 3]; a[Symbol.iterator] = undefined; Array.from(a, (x) => x ?? 0)",
        [1, 0, 3],
    ),
}


@pytest.mark.parametrize(
    ("code", "expected"), ARRAY_LIKE_COPIES.values(), ids=ARRAY_LIKE_COPIES.keys()
)
@pytest.mark.parametrize("persistent", [False, True], ids=["fresh", "persistent"])
def test_array_likes_are_copied_as_the_language_reads_them(
    code: str, expected: object, persistent: bool
) -> None:
    with create_sandbox(persistent_context=persistent) as box:
        assert box.interpret(code, return_raw_result=True) == expected
