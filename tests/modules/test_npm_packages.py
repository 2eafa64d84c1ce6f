"""Real packages from the npm registry (ci/npm-packages), each result compared with what Node
itself gives for the same code, run in one Node process."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import ISOLATIONS, recycled_as_this_v8_can

from code_interpreter import JavaScriptError, Sandbox, create_sandbox

PACKAGES = ["lodash", "dayjs", "moment", "zod", "semver", "validator", "is-odd"]

# Function bodies; `context` is {"xs": [...], "when": "..."} in both engines.
CASES = {
    "lodash chunk": "const _ = require('lodash'); return _.chunk(context.xs, 2)",
    "lodash chain": (
        "const _ = require('lodash');"
        "return _.chain(context.xs).map(x => x * 3).filter(x => x % 2).sum().value()"
    ),
    "lodash deep": (
        "const _ = require('lodash');"
        "return _.merge({a: {b: [1]}}, {a: {c: 2}}, _.set({}, 'a.d.e', 3))"
    ),
    "lodash groupBy": (
        "return require('lodash').groupBy(['one', 'two', 'three', 'four'], 'length')"
    ),
    "lodash/fp": (
        "const fp = require('lodash/fp'); return fp.flow(fp.map(x => x + 1), fp.sum)(context.xs)"
    ),
    "lodash internal file": "return require('lodash/chunk')(context.xs, 3)",
    "dayjs": (
        "const dayjs = require('dayjs');"
        "return dayjs(context.when).add(1, 'month').format('YYYY-MM-DD')"
    ),
    "dayjs plugin": (
        "const dayjs = require('dayjs'); dayjs.extend(require('dayjs/plugin/utc'));"
        "dayjs.extend(require('dayjs/plugin/relativeTime'));"
        "return [dayjs.utc(context.when).startOf('day').toISOString(),"
        " dayjs.utc(context.when).from(dayjs.utc(context.when).add(3, 'day'))]"
    ),
    "moment": (
        "const moment = require('moment');"
        "return moment.utc(context.when).add(90, 'minutes').format('dddd, MMMM Do YYYY, HH:mm')"
    ),
    "moment duration": "return require('moment').duration(3725, 'seconds').humanize()",
    "zod": (
        "const { z } = require('zod');"
        "const User = z.object({name: z.string().min(2), age: z.number().int().positive()});"
        "const bad = User.safeParse({name: 'x', age: -1});"
        "return [User.parse({name: 'Ada', age: 36}), bad.success,"
        " bad.error.issues.map(i => i.path.join('.'))]"
    ),
    "zod locales subpath": "return typeof require('zod/locales/en.js')",
    "semver": (
        "const semver = require('semver');"
        "return [semver.satisfies('1.4.2', '^1.2.0'), semver.maxSatisfying(['1.2.3', '1.4.0',"
        " '2.0.0'], '~1.4'), semver.inc('1.2.3', 'minor'), semver.valid('nope')]"
    ),
    "semver subpath": "return require('semver/functions/compare')('1.2.3', '1.10.0')",
    "validator": (
        "const v = require('validator');"
        "return [v.isEmail('ada@example.com'), v.isEmail('nope'), v.isUUID("
        "'123e4567-e89b-12d3-a456-426614174000'), v.escape('<b>&</b>')]"
    ),
    "is-odd with its dependency": "return [require('is-odd')(7), require('is-odd')('8')]",
}
CONTEXT = {"xs": [1, 2, 3, 4, 5, 6, 7], "when": "2024-02-29T10:30:00Z"}


@pytest.fixture(scope="module")
def node_results(npm_modules: Path) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to compare results (it comes with npm)")
    script = f"const context = {json.dumps(CONTEXT)}; const out = {{}};\n"
    for name, body in CASES.items():
        script += (
            f"try {{ out[{json.dumps(name)}] = {{value: (function () {{ {body} }})()}}; }}"
            f" catch (e) {{ out[{json.dumps(name)}] = {{error: String(e)}}; }}\n"
        )
    script += "process.stdout.write(JSON.stringify(out));"
    done = subprocess.run(
        [node, "-e", script],
        cwd=npm_modules.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    results: dict[str, Any] = json.loads(done.stdout)
    return results


@pytest.fixture(
    scope="module",
    params=[(False, "thread"), (True, "thread"), (False, "process"), (True, "process")],
    ids=["fresh", "persistent", "fresh-process", "persistent-process"],
)
def sandbox(request: pytest.FixtureRequest, npm_modules: Path) -> Iterator[Sandbox]:
    persistent, isolation = request.param
    with create_sandbox(
        allowed_modules=PACKAGES,
        module_paths=[str(npm_modules)],
        persistent_context=persistent,
        max_execution_time=10_000,
        isolation=isolation,
    ) as box:
        yield box


@pytest.mark.parametrize("name", list(CASES))
def test_same_result_as_node(sandbox: Sandbox, node_results: dict[str, Any], name: str) -> None:
    expected = node_results[name]
    assert "value" in expected, expected
    # JSON both ways: the comparison is of what each engine computed, not of conversions.
    code = f"return JSON.stringify((function () {{ {CASES[name]} }})())"
    for _ in range(3):  # the recycled context too, where the code qualifies
        got = sandbox.interpret(code, CONTEXT, return_raw_result=True)
        assert json.loads(got) == expected["value"]


def test_string_code_generation_is_a_clear_error(sandbox: Sandbox) -> None:
    with pytest.raises(JavaScriptError) as caught:
        sandbox.interpret("return require('lodash').template('hello <%= user %>')({user: 'x'})")
    assert caught.value.name == "EvalError"
    assert "Code generation from strings disallowed" in caught.value.message
    assert sandbox.interpret("return require('lodash').sum([1, 2])", return_raw_result=True) == 3


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_lodash_is_served_from_the_recycled_context(npm_modules: Path, isolation: str) -> None:
    """lodash's loading changes nothing of the realm, so a fresh-mode run that requires it can
    take the pristine context that holds it, instead of evaluating lodash again."""
    with create_sandbox(
        allowed_modules=["lodash"], module_paths=[str(npm_modules)], isolation=isolation
    ) as box:
        code = "const _ = require('lodash'); return _.sum(context.xs)"
        for _ in range(10):
            assert box.interpret(code, CONTEXT, return_raw_result=True) == 28
        assert recycled_as_this_v8_can(box.get_status()["isolates"]["contexts_recycled"], 5)


def test_custom_policy_with_allowed_globals_still_runs_packages(npm_modules: Path) -> None:
    """A custom policy: the code sees only the listed globals, while lodash and moment
    still find the intrinsics they are written against."""
    with create_sandbox(
        security_level="custom",
        custom_security={
            "allowed_globals": ["console", "Math", "Date", "JSON"],
            "allowed_modules": ["lodash", "moment"],
            "blocked_patterns": [r"delete\s+"],
        },
        module_paths=[str(npm_modules)],
    ) as box:
        assert box.interpret("typeof Array + typeof RegExp") == "undefinedundefined"
        code = "[require('lodash').chunk([1, 2, 3], 2), require('moment').utc(0).format('YYYY')]"
        for _ in range(3):
            assert box.interpret(code, return_raw_result=True) == [[[1, 2], [3]], "1970"]
        assert box.interpret("typeof Array") == "undefined"
