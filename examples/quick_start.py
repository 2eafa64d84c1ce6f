"""Quick start: a one-off calculation, then a sandbox for untrusted code."""

from code_interpreter import create_sandbox, quick_interpret


def main() -> None:
    print(quick_interpret("2 + 3 * 4"))  # 14

    sandbox = create_sandbox()
    try:
        result = sandbox.interpret(
            """
            const numbers = [1, 2, 3, 4, 5];
            return numbers.reduce((sum, n) => sum + n * n, 0);
            """
        )
        print("Sum of squares:", result)  # 55
    finally:
        sandbox.kill()  # always clean up


if __name__ == "__main__":
    main()
