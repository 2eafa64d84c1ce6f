"""What require() costs in the default mode (a fresh context per execution), against evaluating
the same package's source inline in that mode, and against quickjs evaluating it in a new
context per call, in one run, rounds interleaved; and what importing the ES module build of the
same package (lodash-es) costs against requiring lodash. Packages come from ci/npm-packages and
ci/npm-corpus.

    .venv/bin/python benchmarks/modules.py [--rounds N] [--smoke] [--json PATH]

Each workload that can take the recycled context has a sandbox of its own. Sharing one with
workloads that run the same package in new contexts measures something else: there V8 optimizes
the package's functions, and every attempt that later calls one first deoptimizes it, a walk over
all the optimized code of every context not yet collected (V8's debugger does this before it
checks a function for side effects), so attempts slow down or run out of budget.

Prints medians (us per call) and the ratios the README reports.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from code_interpreter import create_sandbox
from compare import per_call_us

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / ".deps" / "npm" / "node_modules"
CORPUS_MODULES = ROOT / ".deps" / "npm-corpus" / "node_modules"
CONTEXT = {"xs": list(range(100))}
REQUIRE_SUM = "const _ = require('lodash'); return _.sum(context.xs)"
IMPORT_SUM = "import { sum } from 'lodash-es'; return sum(context.xs)"
# A write to the global object: the run cannot take a recycled context, so it pays a new
# context and the package's loading.
NEW_CONTEXT = "globalThis.written = 1; "
# The same package without require: its source run in the execution itself, as a module.
INLINE_PRELUDE = (
    "var module = {exports: {}}; var exports = module.exports; var global = globalThis;"
)
OTHERS = {
    "dayjs": "return require('dayjs')('2024-02-29').add(1, 'month').format('YYYY-MM-DD')",
    "moment": "return require('moment').utc('2024-02-29').add(1, 'month').format('YYYY-MM-DD')",
    "semver": "return require('semver').satisfies('1.4.2', '^1.2.0')",
}


def inline_lodash() -> str:
    source = (NODE_MODULES / "lodash" / "lodash.js").read_text()
    return (
        f"{INLINE_PRELUDE}(function () {{\n{source}\n}}).call(this);module.exports.sum(context.xs)"
    )


def engines() -> dict[str, Callable[[], Any]]:
    modules = [str(NODE_MODULES)]
    fresh = create_sandbox(
        allowed_modules=["lodash"], module_paths=modules, max_execution_time=60_000
    )
    others = create_sandbox(
        allowed_modules=list(OTHERS), module_paths=modules, max_execution_time=60_000
    )
    persistent = create_sandbox(
        allowed_modules=["lodash"],
        module_paths=modules,
        persistent_context=True,
        max_execution_time=60_000,
    )
    unscanned = create_sandbox(
        security_level="custom",
        custom_security={"max_code_length": 4 << 20, "max_lines": 1_000_000},
        max_execution_time=60_000,
    )
    inline = inline_lodash()
    calls: dict[str, Callable[[], Any]] = {
        "require lodash, fresh": lambda: fresh.interpret(REQUIRE_SUM, CONTEXT),
        "inline lodash, fresh": lambda: unscanned.interpret(inline, CONTEXT),
        "require lodash, persistent": lambda: persistent.interpret(REQUIRE_SUM, CONTEXT),
    }
    for name, code in OTHERS.items():
        calls[f"require {name}, fresh"] = lambda code=code: others.interpret(code)
    if (CORPUS_MODULES / "lodash-es" / "package.json").is_file():
        both = [str(NODE_MODULES), str(CORPUS_MODULES)]
        esm = create_sandbox(
            allowed_modules=["lodash-es"], module_paths=both, max_execution_time=60_000
        )
        new_contexts = create_sandbox(
            allowed_modules=["lodash", "lodash-es"], module_paths=both, max_execution_time=60_000
        )
        esm_persistent = create_sandbox(
            allowed_modules=["lodash-es"],
            module_paths=both,
            persistent_context=True,
            max_execution_time=60_000,
        )
        calls["import lodash-es, fresh"] = lambda: esm.interpret(IMPORT_SUM, CONTEXT)
        calls["require lodash, fresh, new context"] = lambda: new_contexts.interpret(
            NEW_CONTEXT + REQUIRE_SUM, CONTEXT
        )
        calls["import lodash-es, fresh, new context"] = lambda: new_contexts.interpret(
            NEW_CONTEXT + IMPORT_SUM, CONTEXT
        )
        calls["import lodash-es, persistent"] = lambda: esm_persistent.interpret(
            IMPORT_SUM, CONTEXT
        )
    try:
        import quickjs

        def quickjs_new_context() -> Any:
            context = quickjs.Context()
            context.eval(f"var context = {json.dumps(CONTEXT)};")
            return context.eval(inline)

        calls["quickjs: inline lodash, new context"] = quickjs_new_context
    except ImportError:
        pass
    return calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="one short round")
    parser.add_argument("--json", help="write the medians here")
    args = parser.parse_args(argv)
    rounds, budget = (1, 0.05) if args.smoke else (args.rounds, 1.0)
    calls = engines()
    expected = str(sum(CONTEXT["xs"]))
    for name, call in calls.items():
        if "lodash" in name and "quickjs" not in name:
            assert str(call()) == expected, name
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            samples[name].append(per_call_us(call, budget))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratio = medians["require lodash, fresh"] / medians["inline lodash, fresh"]
    print(f"{'workload':44} {'us/call':>10}")
    for name, value in medians.items():
        print(f"{name:44} {value:10.1f}")
    print(f"require / inline lodash, fresh: {ratio:.3f}")
    quickjs_key = "quickjs: inline lodash, new context"
    if quickjs_key in medians:
        over_quickjs = medians["require lodash, fresh"] / medians[quickjs_key]
        print(f"require lodash / quickjs new context: {over_quickjs:.3f}")
    if "import lodash-es, fresh" in medians:
        for suffix in ("fresh", "fresh, new context"):
            over = medians[f"import lodash-es, {suffix}"] / medians[f"require lodash, {suffix}"]
            print(f"import lodash-es / require lodash, {suffix}: {over:.3f}")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"medians_us": medians, "require_over_inline": ratio}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
