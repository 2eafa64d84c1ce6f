"""Batch processing: many snippets at once, up to five in parallel, each settled on its own."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from code_interpreter import SandboxError, create_sandbox


def batch_processor(code_snippets: list[str]) -> list[dict[str, Any]]:
    with create_sandbox(timeout_ms=120_000, max_concurrent_executions=5) as sandbox:

        def run(index: int, code: str) -> dict[str, Any]:
            try:
                result = sandbox.interpret(code, {"index": index, "timestamp": time.time()})
                return {"index": index, "result": result, "status": "success"}
            except SandboxError as error:
                return {"index": index, "error": str(error), "status": "error"}

        with ThreadPoolExecutor(max_workers=5) as pool:
            return list(pool.map(run, range(len(code_snippets)), code_snippets))


def main() -> None:
    codes = [
        "Math.sqrt(144)",
        "[1,2,3,4].reduce((a,b) => a+b)",
        "new Date().getFullYear() > 2000",
        'JSON.stringify({hello: "world"})',
        "undefinedVariable + 1",
    ]
    for entry in batch_processor(codes):
        print(entry)
    # The same batch in one native call:
    with create_sandbox() as sandbox:
        print(sandbox.interpret_many(codes[:4]))


if __name__ == "__main__":
    main()
