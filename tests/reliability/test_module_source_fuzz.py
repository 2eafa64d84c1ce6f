"""Bounded fuzz of what the module loader does with a package's source before V8 runs it: how a
file's format is told (CommonJS, an ES module, a script in a "type": "module" package), the
rewrite of ES modules into functions, and the wrappers both run in. Sources made of the fragments
that matter to them (import and export forms, braces that close a wrapper early, comments,
strings, templates) must end in a value or a typed JavaScript error, never a crash of the
process or of its worker; a source that fails to compile must have run nothing; the sandbox must
stay usable. ci/fuzz runs more examples (CODE_INTERPRETER_FUZZ_EXAMPLES)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from code_interpreter import ExecutionTimeout, JavaScriptError, create_sandbox

# More than the other fuzz files: an example is cheap (some 5 ms), and the sources that matter
# are rare among the fragments' combinations (an export that is not at the top level, alone).
EXAMPLES = int(os.environ.get("CODE_INTERPRETER_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FRAGMENTS = [
    "export const q = 1",
    "export default 3",
    "export * from 'dep'",
    "export { y as z2 }",
    "import x from 'dep'",
    "import.meta",
    "let y = 2",
    "module.exports = 1",
    "exports.a = 1",
    "require('dep')",
    "await 1",
    "return 2",
    "globalThis.z = 1",
    "}",
    "})",
    "}})",
    ");",
    "(",
    "{",
    "(function () {",
    "(async function () {",
    "return function () {",
    "class C {",
    ";",
    "\n",
    "//\n",
    "/*",
    "*/",
    "'",
    "`",
    "${",
    "/x/",
    "<!--",
    "-->",
]
REQUESTS = [
    "import * as m from 'm'; return 1",
    "require('m'); return 1",
    "return import('m').then(() => 1)",
]


@FUZZ
@given(
    source=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=7).map(" ".join),
    es_package=st.booleans(),
    request=st.sampled_from(REQUESTS),
)
def test_a_module_source_ends_in_a_value_or_a_javascript_error(
    tmp_path: Path, isolation: str, source: str, es_package: bool, request: str
) -> None:
    modules = tmp_path / "node_modules"
    shutil.rmtree(modules, ignore_errors=True)
    for name, text, manifest in [
        (
            "m",
            source + "\n",
            {"dependencies": {"dep": "1"}, "type": "module"} if es_package else {},
        ),
        ("dep", "module.exports = 5\n", {}),
    ]:
        (modules / name).mkdir(parents=True)
        (modules / name / "package.json").write_text(
            json.dumps({"name": name, "main": "index.js", **manifest})
        )
        (modules / name / "index.js").write_text(text)
    with create_sandbox(
        persistent_context=True,
        isolation=isolation,
        allowed_modules=["m", "dep"],
        module_paths=[str(modules)],
        max_execution_time=1000,
    ) as sandbox:
        failed = None
        try:
            sandbox.interpret(request)
        except (JavaScriptError, ExecutionTimeout) as error:
            failed = error
        if isinstance(failed, JavaScriptError) and failed.name == "SyntaxError":
            assert sandbox.interpret("typeof globalThis.z") == "undefined", source
        assert sandbox.interpret("1 + 1") == "2"
