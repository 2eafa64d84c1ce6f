"""Bounded fuzz of what the module loader does with a package's source before V8 runs it: how a
file's format is told (CommonJS, an ES module, a script in a "type": "module" package), the
rewrite of ES modules into functions, and the wrappers both run in. Two files of a package, made
of the fragments that matter to them (import and export forms, requests of each other, braces
that close a wrapper early, comments, strings, templates), must end in a value or a typed
JavaScript error, never a crash of the process or of its worker; a file that fails to compile
must have run nothing; the sandbox must stay usable. ci/fuzz runs more examples
(CODE_INTERPRETER_FUZZ_EXAMPLES)."""

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
    "export * from './b.js'",
    "import * as ns from './a.js'",
    "import b from './b.js'",
    "await import('./b.js')",
    "require('./a.js')",
    "require('./b.js')",
    "export let w; w = 1",
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


SOURCE = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6).map(" ".join)


@FUZZ
@given(
    sources=st.tuples(SOURCE, SOURCE),
    package_type=st.sampled_from([None, "module", "commonjs"]),
    request=st.sampled_from(REQUESTS),
)
def test_a_module_source_ends_in_a_value_or_a_javascript_error(
    tmp_path: Path,
    isolation: str,
    sources: tuple[str, str],
    package_type: str | None,
    request: str,
) -> None:
    modules = tmp_path / "node_modules"
    shutil.rmtree(modules, ignore_errors=True)
    (modules / "m").mkdir(parents=True)
    (modules / "dep").mkdir()
    kind = {"type": package_type} if package_type else {}
    manifest = {"name": "m", "main": "a.js", "dependencies": {"dep": "1"}, **kind}
    (modules / "m" / "package.json").write_text(json.dumps(manifest))
    for name, text in zip(["a.js", "b.js"], sources):
        (modules / "m" / name).write_text(text + "\n")
    (modules / "dep" / "package.json").write_text(json.dumps({"name": "dep", "main": "index.js"}))
    (modules / "dep" / "index.js").write_text("module.exports = 5\n")
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
        # With b.js out of the way, a SyntaxError is a.js's own: then none of it ran. (Code of
        # a.js may run before a b.js it requires fails.)
        alone = "./b.js" not in sources[0]
        if alone and isinstance(failed, JavaScriptError) and failed.name == "SyntaxError":
            assert sandbox.interpret("typeof globalThis.z") == "undefined", sources
        assert sandbox.interpret("1 + 1") == "2"
