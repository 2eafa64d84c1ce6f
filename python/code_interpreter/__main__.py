"""Command line: python -m code_interpreter "2 + 3 * 4" prints 14; ``serve`` runs the HTTP
service (code_interpreter.server).

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ._errors import JavaScriptError, SandboxError
from ._sandbox import create_sandbox


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m code_interpreter", description="Run JavaScript in a V8 sandbox."
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("code", nargs="?", help="JavaScript code to run")
    source.add_argument("-f", "--file", help="run the JavaScript in FILE ('-' for stdin)")
    parser.add_argument("--context", help="a JSON object visible to the code as `context`")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--raw", action="store_true", help="print the value as Python repr")
    output.add_argument("--json", action="store_true", help="print the value as JSON")
    parser.add_argument("--timeout", type=float, default=5000, help="time limit in ms")
    parser.add_argument("--memory", type=int, default=128, help="memory limit in MB")
    parser.add_argument(
        "--security-level",
        default="strict",
        choices=["strict", "moderate", "permissive"],
        help="security level of the sandbox (default: strict)",
    )
    parser.add_argument(
        "--allow-module",
        action="append",
        default=[],
        metavar="NAME",
        help="a package the code may require() (repeatable)",
    )
    parser.add_argument(
        "--module-path",
        action="append",
        metavar="DIR",
        help="a folder laid out like node_modules to find packages in (repeatable; "
        "default: ./node_modules)",
    )
    parser.add_argument("--version", action="store_true", help="print versions and exit")
    if argv is not None and "--version" in argv:
        return argparse.Namespace(version=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        from .server._serve import serve_main

        return serve_main(argv[1:])
    args = _parse(argv)
    if getattr(args, "version", False):
        from . import __version__, v8_version

        print(f"code_interpreter {__version__} (V8 {v8_version()})")
        return 0
    try:
        if args.file is not None:
            with sys.stdin if args.file == "-" else open(args.file, encoding="utf-8") as handle:
                code = handle.read()
        else:
            code = args.code
        context: Any = None
        if args.context is not None:
            context = json.loads(args.context)
            if not isinstance(context, dict):
                raise ValueError("--context must be a JSON object")
        raw = args.raw or args.json
        with create_sandbox(
            memory_limit_mb=args.memory,
            max_execution_time=args.timeout,
            security_level=args.security_level,
            allowed_modules=args.allow_module,
            module_paths=args.module_path,
        ) as box:
            value = box.interpret(code, context, return_raw_result=raw)
    except JavaScriptError as error:
        where = f" (line {error.line_number}, column {error.column})" if error.line_number else ""
        print(f"error: {error}{where}", file=sys.stderr)
        return 1
    except SandboxError as error:
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    except (OSError, ValueError, TypeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(value, default=repr))
    elif args.raw:
        print(repr(value))
    else:
        print(value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
