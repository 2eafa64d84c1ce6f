"""A math expression evaluator. The expression is run as code in a strict sandbox: eval() is
never needed (and never allowed), and anything but arithmetic is refused or fails."""

from __future__ import annotations

from code_interpreter import SandboxError, create_sandbox


class MathEvaluator:
    def __init__(self) -> None:
        self._sandbox = create_sandbox(timeout_ms=30_000, security_level="strict")

    def evaluate(self, expression: str) -> float:
        try:
            result = self._sandbox.interpret(expression, timeout=100)
        except SandboxError as error:
            raise ValueError(f"Invalid expression: {error}") from None
        return float(result)

    def destroy(self) -> None:
        self._sandbox.kill()


def main() -> None:
    evaluator = MathEvaluator()
    print(evaluator.evaluate("2 * (3 + 4)"))  # 14.0
    print(evaluator.evaluate("Math.sqrt(16) + 5"))  # 9.0
    try:
        evaluator.evaluate("require('fs')")
    except ValueError as error:
        print(error)
    evaluator.destroy()


if __name__ == "__main__":
    main()
