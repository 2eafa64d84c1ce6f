"""The engines benchmarks/compare.py measures: ours and its peers, each behind the same small
interface (a method set to None is a measurement the engine cannot take part in)."""

from __future__ import annotations

import json
from typing import Any

from workloads import (
    BOMBS,
    HOST_LOOP,
    LOOP,
    W3,
    W4_DATA,
    W4_JS_DIRECT,
    W4_JS_JSON,
    Call,
    add,
    bomb_recovery,
    overshoot_of,
)


# -- engines ----------------------------------------------------------------------------------
class Ours:
    name = "ours"

    def __init__(self, isolation: str = "thread") -> None:
        import code_interpreter

        self.ci = code_interpreter
        self.isolation = isolation
        if isolation == "process":
            # Host functions stay in this process; a worker's memory is not this process's RSS.
            self.host_call = None
            self.idle_instance = None
        self.fresh = code_interpreter.create_sandbox(
            max_execution_time=60_000, isolation=isolation, pre_warm=1
        )
        self.persistent = code_interpreter.create_sandbox(
            max_execution_time=60_000, persistent_context=True, isolation=isolation, pre_warm=1
        )

    def eval_call(self, code: str, mode: str) -> Call:
        box = self.persistent if mode == "persistent" else self.fresh
        interpret = box.interpret
        return lambda: interpret(code)

    def new_isolate_call(self) -> Call:
        def run() -> None:
            box = self.ci.create_sandbox(isolation=self.isolation)
            box.interpret("1+1")
            box.kill()

        return run

    fresh_mode = "fresh"

    def fresh_eval_call(self, code: str) -> Call:
        return self.eval_call(code, "fresh")  # the default mode: fresh state per execution

    def roundtrip_call(self, mode: str) -> Call:
        box = self.persistent if mode == "persistent" else self.fresh
        return lambda: box.interpret(W4_JS_DIRECT, {"data": W4_DATA}, return_raw_result=True)

    def overshoot_ms(self, limit_ms: float) -> float:
        return overshoot_of(
            lambda: self.fresh.interpret(LOOP, timeout=limit_ms), limit_ms, self.ci.ExecutionTimeout
        )

    def bomb(self, kind: str) -> tuple[bool, float]:
        box = self.ci.create_sandbox(
            memory_limit_mb=64, max_execution_time=30_000, isolation=self.isolation
        )
        result = bomb_recovery(
            lambda: box.interpret(BOMBS[kind]),
            lambda: box.interpret("1+1") == "2",
            self.ci.MemoryLimitExceeded,
        )
        box.kill()
        return result

    def thread_call(self) -> Call:
        box = self.ci.create_sandbox(
            max_execution_time=60_000, persistent_context=True, isolation=self.isolation
        )
        box.interpret("1")
        return lambda: box.interpret(W3)

    def host_call(self) -> Call:
        box = self.ci.create_sandbox(
            max_execution_time=60_000, persistent_context=True, expose={"add": add}
        )
        return lambda: box.interpret(HOST_LOOP)

    def idle_instance(self) -> Any:
        box = self.ci.create_sandbox()
        box.interpret("1")
        return box


class MiniRacerPeer:
    name = "mini-racer"

    def __init__(self) -> None:
        from py_mini_racer import MiniRacer

        self.MiniRacer = MiniRacer
        self.ctx = MiniRacer()
        self.ctx.eval(f"function w4(t) {{ {W4_JS_JSON} }}")

    def eval_call(self, code: str, mode: str) -> Call:
        return lambda: self.ctx.eval(code)

    def new_isolate_call(self) -> Call:
        def run() -> None:
            ctx = self.MiniRacer()
            ctx.eval("1+1")
            ctx.close()

        return run

    fresh_call = None  # mini-racer has no context without a new isolate: W6 uses new_isolate
    fresh_mode = "new isolate"

    def fresh_eval_call(self, code: str) -> Call:
        def run() -> None:
            ctx = self.MiniRacer()
            ctx.eval(code)
            ctx.close()

        return run

    def roundtrip_call(self, mode: str) -> Call:
        text = json.dumps
        return lambda: json.loads(self.ctx.call("w4", text(W4_DATA)))

    def overshoot_ms(self, limit_ms: float) -> float:
        return overshoot_of(
            lambda: self.ctx.eval(LOOP, timeout_sec=limit_ms / 1000), limit_ms, Exception
        )

    def bomb(self, kind: str) -> tuple[bool, float]:
        ctx = self.MiniRacer()
        ctx.set_hard_memory_limit(64 << 20)
        result = bomb_recovery(
            lambda: ctx.eval(BOMBS[kind], timeout_sec=30), lambda: ctx.eval("1+1") == 2, Exception
        )
        ctx.close()
        return result

    def host_call(self) -> Call:
        """Its host functions are async (each call is awaited) and bound to the event loop the
        instance was made on: a loop of our own, run for each measured execution."""
        import asyncio

        loop = asyncio.new_event_loop()

        async def async_add(a: Any, b: Any) -> Any:
            return a + b

        async def setup() -> tuple[Any, Any]:
            ctx = self.MiniRacer()
            self._host_wrapper = ctx.wrap_py_function(async_add)
            js_add = await self._host_wrapper.__aenter__()
            loop_code = HOST_LOOP.replace("add(s, 1)", "await add(s, 1)")
            return ctx.eval(f"(async function (add) {{ {loop_code} }})"), js_add

        run, js_add = loop.run_until_complete(setup())

        async def once() -> Any:
            return await run(js_add)

        return lambda: loop.run_until_complete(once())

    def thread_call(self) -> Call:
        ctx = self.MiniRacer()
        return lambda: ctx.eval(W3)

    def idle_instance(self) -> Any:
        ctx = self.MiniRacer()
        ctx.eval("1")
        return ctx


class QuickJsPeer:
    name = "quickjs"

    def __init__(self) -> None:
        import quickjs

        self.quickjs = quickjs
        self.ctx = quickjs.Context()
        self.w4 = quickjs.Function("w4", f"function w4(t) {{ {W4_JS_JSON} }}")

    def eval_call(self, code: str, mode: str) -> Call:
        return lambda: self.ctx.eval(code)

    def fresh_call(self) -> Call:
        return lambda: self.quickjs.Context().eval("1+1")

    fresh_mode = "new context"

    def fresh_eval_call(self, code: str) -> Call:
        return lambda: self.quickjs.Context().eval(code)

    new_isolate_call = None

    def roundtrip_call(self, mode: str) -> Call:
        return lambda: json.loads(self.w4(json.dumps(W4_DATA)))

    def overshoot_ms(self, limit_ms: float) -> float:
        ctx = self.quickjs.Context()
        ctx.set_time_limit(limit_ms / 1000)
        return overshoot_of(lambda: ctx.eval(LOOP), limit_ms, Exception)

    def bomb(self, kind: str) -> tuple[bool, float]:
        ctx = self.quickjs.Context()
        ctx.set_memory_limit(64 << 20)
        return bomb_recovery(lambda: ctx.eval(BOMBS[kind]), lambda: ctx.eval("1+1") == 2, Exception)

    def thread_call(self) -> Call:
        ctx = self.quickjs.Context()
        return lambda: ctx.eval(W3)

    def idle_instance(self) -> Any:
        ctx = self.quickjs.Context()
        ctx.eval("1")
        return ctx


class StPyV8Peer:
    name = "stpyv8"

    def __init__(self) -> None:
        import STPyV8

        self.STPyV8 = STPyV8
        self.ctx = STPyV8.JSContext()
        self.ctx.enter()
        self.w4 = self.ctx.eval(f"(function w4(t) {{ {W4_JS_JSON} }})")

    def eval_call(self, code: str, mode: str) -> Call:
        return lambda: self.ctx.eval(code)

    def fresh_call(self) -> Call:
        return self.fresh_eval_call("1+1")

    fresh_mode = "new context"

    def fresh_eval_call(self, code: str) -> Call:
        def run() -> None:
            with self.STPyV8.JSContext() as ctx:
                ctx.eval(code)

        return run

    new_isolate_call = None

    def roundtrip_call(self, mode: str) -> Call:
        return lambda: json.loads(self.w4(json.dumps(W4_DATA)))

    overshoot_ms = None  # no execution time limit in its API
    bomb = None  # no memory limit in its API
    thread_call = None  # two threads crash it (known): not run

    def idle_instance(self) -> Any:
        ctx = self.STPyV8.JSContext()
        return ctx

    def host_call(self) -> Call:
        class Globals(self.STPyV8.JSClass):  # type: ignore[name-defined,misc]
            def add(self, a: Any, b: Any) -> Any:
                return add(a, b)

        ctx = self.STPyV8.JSContext(Globals())
        with ctx:
            ctx.eval(f"function run() {{ {HOST_LOOP} }}")

        def run() -> Any:
            with ctx:
                return ctx.eval("run()")

        return run


class PythonMonkeyPeer:
    """SpiderMonkey for Python: one global for the whole process, so no fresh state, and no
    time or memory limits in its API."""

    name = "pythonmonkey"

    def __init__(self) -> None:
        import pythonmonkey

        self.pm = pythonmonkey
        self.w4 = pythonmonkey.eval(f"(function w4(t) {{ {W4_JS_JSON} }})")

    def eval_call(self, code: str, mode: str) -> Call:
        return lambda: self.pm.eval(code)

    def roundtrip_call(self, mode: str) -> Call:
        return lambda: json.loads(self.w4(json.dumps(W4_DATA)))

    fresh_call = None
    fresh_eval_call = None
    new_isolate_call = None
    overshoot_ms = None
    bomb = None
    thread_call = None
    idle_instance = None


PEERS = {
    "mini-racer": MiniRacerPeer,
    "quickjs": QuickJsPeer,
    "stpyv8": StPyV8Peer,
    "pythonmonkey": PythonMonkeyPeer,
}
