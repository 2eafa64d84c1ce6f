"""A code stream: executions queued one after another, the sandbox's events forwarded."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from code_interpreter import Sandbox, SandboxError, create_sandbox


class CodeStream:
    def __init__(self) -> None:
        self.sandbox: Sandbox | None = None
        self.listeners: dict[str, list[Callable[[Any], None]]] = {}

    def on(self, name: str, listener: Callable[[Any], None]) -> None:
        self.listeners.setdefault(name, []).append(listener)

    def emit(self, name: str, data: Any = None) -> None:
        for listener in self.listeners.get(name, []):
            listener(data)

    def initialize(self) -> None:
        self.sandbox = create_sandbox(timeout_ms=300_000, enable_logging=True)
        self.sandbox.on("execution:start", lambda data: self.emit("start", data))
        self.sandbox.on("execution:complete", lambda data: self.emit("result", data))
        self.sandbox.on("execution:error", lambda data: self.emit("error", data))
        self.emit("ready")

    def execute(self, code: str) -> dict[str, Any]:
        if self.sandbox is None:
            raise RuntimeError("CodeStream not initialized")
        execution_id = secrets.token_hex(4)
        self.emit("queued", {"execution_id": execution_id, "code": code})
        try:
            result = self.sandbox.interpret(code)
        except SandboxError as error:
            return {"execution_id": execution_id, "error": str(error), "timestamp": time.time()}
        return {"execution_id": execution_id, "result": result, "timestamp": time.time()}

    def destroy(self) -> None:
        if self.sandbox is not None:
            self.sandbox.kill()
            self.emit("destroyed")


def main() -> None:
    stream = CodeStream()
    stream.on("ready", lambda _: print("Stream ready"))
    stream.on("start", lambda data: print("Execution started:", data.execution_id))
    stream.on("result", lambda data: print(f"Completed in {data.duration:.2f} ms"))
    stream.on("destroyed", lambda _: print("Stream destroyed"))
    stream.initialize()
    for _ in range(3):
        outcome = stream.execute("const now = new Date(); return now.toISOString();")
        print("Current time:", outcome["result"])
    stream.destroy()


if __name__ == "__main__":
    main()
