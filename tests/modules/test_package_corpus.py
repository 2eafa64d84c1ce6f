"""The package corpus (tests/modules/corpus, installed by ci/npm-corpus): about a hundred popular
npm packages, each case's result compared with what Node gives for the same code at test time.

Cases marked `fails_by_design` compile code from strings (templates, schemas), which the sandbox
refuses: they are strict expected failures, left out of the pass rate. Cases marked `known_gap`
fail for a reason the case states (a Node built-in, a global the sandbox does not offer): strict
expected failures too, but counted in the pass rate. Every other case should pass; the pass-rate
test lists those that do not. ci/corpus-report prints the same figures per category."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from code_interpreter import Sandbox, create_sandbox

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "modules" / "corpus"
CORPUS_MODULES = ROOT / ".deps" / "npm-corpus" / "node_modules"
PASS_RATE = 0.9

# Leading `import ... from '...';` declarations stay first; the sandbox rewrites them.
LEADING_IMPORTS = re.compile(r"^(\s*import\s[^;]*;)+")


def load_cases() -> dict[str, dict[str, Any]]:
    """The cases by id: package-1, package-2, ... in file order (node_runner.mjs's ids)."""
    cases: list[dict[str, Any]] = json.loads((CORPUS / "cases.json").read_text())
    seen: dict[str, int] = {}
    out = {}
    for case in cases:
        seen[case["package"]] = seen.get(case["package"], 0) + 1
        out[f"{case['package']}-{seen[case['package']]}"] = case
    return out


CASES = load_cases()
PACKAGES = sorted(json.loads((CORPUS / "package.json").read_text())["dependencies"])


def check_installed() -> str | None:
    """Why the corpus cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is needed for the expected values (it comes with npm)"
    if not (CORPUS_MODULES / "lodash" / "package.json").is_file():
        return f"{CORPUS_MODULES} is missing: run ci/npm-corpus"
    return None


def run_node() -> dict[str, dict[str, Any]]:
    """Every case run once in Node: {id: {"value": json} | {"error": text}}."""
    done = subprocess.run(
        [
            "node",
            # Node 20 loads an ES module through require() only with this flag.
            "--experimental-require-module",
            "--no-warnings",
            str(CORPUS / "node_runner.mjs"),
            str(CORPUS / "cases.json"),
            str(CORPUS_MODULES),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results: dict[str, dict[str, Any]] = json.loads(done.stdout)
    return results


def sandbox_code(case: dict[str, Any]) -> str:
    """The case as sandboxed code that returns JSON.stringify of its value. The body runs in an
    inner function so its `return` gives the value; an async one only when the case awaits,
    so cases that do not need top-level await do not depend on it."""
    code: str = case["code"]
    head = ""
    if case.get("node_form") == "import":
        found = LEADING_IMPORTS.match(code)
        head = found.group(0) if found else ""
        code = code[len(head) :]
    if "await" in code:
        run = (
            f"const __corpus_run = async () => {{\n{code}\n}};\n"
            "const __corpus_value = await __corpus_run();"
        )
    else:
        run = f"const __corpus_value = (() => {{\n{code}\n}})();"
    return (
        f"{head}\n{run}\n"
        "return JSON.stringify(__corpus_value === undefined ? null : __corpus_value);"
    )


def corpus_sandbox(isolation: str = "thread", packages: list[str] | None = None) -> Sandbox:
    return create_sandbox(
        allowed_modules=packages or PACKAGES,
        module_paths=[str(CORPUS_MODULES)],
        max_execution_time=10_000,
        isolation=isolation,
    )


def run_case(box: Sandbox, case: dict[str, Any]) -> dict[str, Any]:
    """{"value": json} or {"error": first line of the error}."""
    try:
        value = box.interpret(sandbox_code(case), return_raw_result=True)
    except Exception as error:  # any failure of the case is its result
        text = str(error).strip().splitlines()
        return {"error": f"{type(error).__name__}: {text[0] if text else ''}"}
    return {"value": value}


def same_as_node(got: dict[str, Any], expected: dict[str, Any]) -> bool:
    if not isinstance(got.get("value"), str) or "value" not in expected:
        return False
    return bool(json.loads(got["value"]) == json.loads(expected["value"]))


def explain(got: dict[str, Any], expected: dict[str, Any]) -> str:
    if "error" in expected:
        return f"node failed: {expected['error']}"
    if "error" in got:
        return str(got["error"])
    return f"got {str(got['value'])[:200]}, node {expected['value'][:200]}"


def run_corpus(isolation: str = "thread") -> dict[str, dict[str, Any]]:
    """Each case's sandbox result, in one sandbox that may load every corpus package."""
    with corpus_sandbox(isolation) as box:
        return {case_id: run_case(box, case) for case_id, case in CASES.items()}


@pytest.fixture(scope="module")
def node_results() -> dict[str, dict[str, Any]]:
    problem = check_installed()
    if problem:
        pytest.fail(problem)
    return run_node()


@pytest.fixture(scope="module")
def corpus_box() -> Iterator[Sandbox]:
    if check_installed() is None:
        with corpus_sandbox() as box:
            yield box
    else:
        pytest.fail(str(check_installed()))


@pytest.fixture(scope="module")
def sandbox_results(corpus_box: Sandbox) -> dict[str, dict[str, Any]]:
    """Each case run once: the per-case tests and the pass-rate test share these."""
    return {case_id: run_case(corpus_box, case) for case_id, case in CASES.items()}


def case_param(case_id: str) -> Any:
    reason = CASES[case_id].get("fails_by_design") or CASES[case_id].get("known_gap")
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(case_id, marks=marks, id=case_id)


@pytest.mark.parametrize("case_id", [case_param(case_id) for case_id in CASES])
def test_same_result_as_node(
    node_results: dict[str, dict[str, Any]],
    sandbox_results: dict[str, dict[str, Any]],
    case_id: str,
) -> None:
    expected = node_results[case_id]
    assert "value" in expected, f"the case fails in Node: {expected['error']}"
    got = sandbox_results[case_id]
    assert same_as_node(got, expected), explain(got, expected)


def test_pass_rate(
    node_results: dict[str, dict[str, Any]], sandbox_results: dict[str, dict[str, Any]]
) -> None:
    counted = [case_id for case_id, case in CASES.items() if not case.get("fails_by_design")]
    failing = {
        case_id: explain(sandbox_results[case_id], node_results[case_id])
        for case_id in counted
        if not same_as_node(sandbox_results[case_id], node_results[case_id])
    }
    rate = 1 - len(failing) / len(counted)
    listing = "\n".join(f"  {case_id}: {why}" for case_id, why in failing.items())
    assert rate >= PASS_RATE, (
        f"{len(counted) - len(failing)}/{len(counted)} cases pass ({rate:.0%}, "
        f"{PASS_RATE:.0%} needed); failing:\n{listing}"
    )


@pytest.mark.parametrize("case_id", ["lodash-1", "semver-1", "papaparse-1"])
def test_process_isolation_smoke(node_results: dict[str, dict[str, Any]], case_id: str) -> None:
    """A few packages through a worker process too: the module store travels to it."""
    package = CASES[case_id]["package"]
    with corpus_sandbox("process", [package]) as box:
        got = run_case(box, CASES[case_id])
    assert same_as_node(got, node_results[case_id]), explain(got, node_results[case_id])
