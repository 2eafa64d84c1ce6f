"""A small benchmark: creating sandboxes, then 1,000 simple executions."""

from __future__ import annotations

import time

from code_interpreter import create_sandbox


def main(executions: int = 1000) -> None:
    print("Performance Benchmarks\n")
    started = time.perf_counter()
    sandboxes = [create_sandbox() for _ in range(10)]
    for sandbox in sandboxes:
        sandbox.interpret("1")  # the isolate is made on first use
    print(f"Sandbox Creation (10 instances): {(time.perf_counter() - started) * 1000:.1f} ms")

    sandbox = sandboxes[0]
    started = time.perf_counter()
    for _ in range(executions):
        sandbox.interpret("Math.sqrt(16) + 5")
    elapsed = (time.perf_counter() - started) * 1000
    print(f"Simple Math ({executions} executions): {elapsed:.1f} ms")

    with create_sandbox(persistent_context=True) as warm:
        started = time.perf_counter()
        for _ in range(executions):
            warm.interpret("Math.sqrt(16) + 5")
        elapsed = (time.perf_counter() - started) * 1000
        print(f"Simple Math, persistent context ({executions} executions): {elapsed:.1f} ms")

    started = time.perf_counter()
    result = sandbox.interpret(
        "Array.from({length: 1000}, (_, i) => i).map(x => x * 2).filter(x => x % 3)"
        ".reduce((a, b) => a + b, 0)"
    )
    print(
        f"Array Processing (1K items): {(time.perf_counter() - started) * 1000:.2f} ms -> {result}"
    )
    for box in sandboxes:
        box.kill()


if __name__ == "__main__":
    main()
