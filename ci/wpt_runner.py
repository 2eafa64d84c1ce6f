"""Runs the Web Platform Tests that Node vendors in our sandbox and compares with Node.

Each ``.any.js`` test of the suites below runs in a permissive sandbox with WPT's own
testharness.js, once per ``// META: variant``; its ``// META: script`` files run first, and
``fetch`` of a JSON resource the test names is answered from the WPT folder (as Node's runner
does). Node's figure for a suite is what Node's own status files (test/wpt/status) expect it
to pass: every subtest of a file Node does not skip, less the subtests it lists as failing.

Our own expected failures, with reasons, are in ci/wpt-status.json (those of one V8 only
under "fail_on_v8", by major version). The run fails when a subtest fails that is not listed
there, or a listed one passes.

Usage: ci/wpt [--json] [SUITE ...]   (ci/wpt-fetch gets the tests first)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from code_interpreter import SandboxError, create_sandbox, v8_version

ROOT = Path(__file__).resolve().parent.parent
V8_MAJOR = v8_version().split(".")[0]
NODE = ROOT / ".deps" / "wpt" / "node-v20.19.2" / "test"
WPT = NODE / "fixtures" / "wpt"
STATUS = NODE / "wpt" / "status"
OURS = Path(__file__).resolve().parent / "wpt-status.json"

# Suite -> (Node's status file, the test files: globs under the suite's folder).
SUITES: dict[str, tuple[str, tuple[str, ...]]] = {
    "url": ("url.json", ("*.any.js",)),
    "encoding": ("encoding.json", ("*.any.js",)),
    "html/webappapis/atob": ("html/webappapis/atob.json", ("*.any.js",)),
    "html/webappapis/structured-clone": (
        "html/webappapis/structured-clone.json",
        ("*.any.js",),
    ),
    "html/webappapis/microtask-queuing": (
        "html/webappapis/microtask-queuing.json",
        ("*.any.js",),
    ),
    "WebCryptoAPI": (
        "WebCryptoAPI.json",
        ("getRandomValues.any.js", "randomUUID.https.any.js", "digest/digest.https.any.js"),
    ),
    "dom/abort": ("dom/abort.json", ("*.any.js",)),
    "dom/events": ("dom/events.json", ("*.any.js",)),
    "hr-time": ("hr-time.json", ("*.any.js",)),
    "webidl/ecmascript-binding/es-exceptions": (
        "webidl/ecmascript-binding/es-exceptions.json",
        ("*.any.js",),
    ),
}

# The suites Node's runner runs as if in a window (pretendGlobalThisAs('Window')).
WINDOW_SUITES = {"url", "encoding", "hr-time", "WebCryptoAPI"}

PASS = 0
STATUS_NAMES = {0: "PASS", 1: "FAIL", 2: "TIMEOUT", 3: "NOTRUN", 4: "PRECONDITION_FAILED"}

# What the harness finds in a browser's global scope and Node's runner provides.
PRELUDE = """
globalThis.self = globalThis;
globalThis.GLOBAL = {isWindow: () => false, isWorker: () => false,
                     isShadowRealm: () => false};
globalThis.location = new URL(context.location);
if (context.title !== null) globalThis.META_TITLE = context.title;
// What idlharness takes for a window's global scope, as Node's runner gives these suites.
if (context.window) globalThis.Window = Object.getPrototypeOf(globalThis).constructor;
globalThis.fetch = (file) => {
  const text = context.resources[file];
  if (text === undefined) return Promise.reject(new TypeError(`no resource ${file}`));
  return Promise.resolve({ok: true, json: async () => JSON.parse(text), text: async () => text});
};
"""
COLLECT = """
globalThis.__wptResults = [];
globalThis.__wptDone = new Promise((resolve) => {
  add_result_callback((test) => {
    __wptResults.push([test.name, test.status, test.message]);
  });
  add_completion_callback((tests, status) => {
    resolve(JSON.stringify({harness: status.status, message: status.message,
                            results: __wptResults}));
  });
});
"""


@dataclass
class Spec:
    """One test file with one variant."""

    suite: str
    path: Path  # under WPT
    variant: str

    @property
    def name(self) -> str:
        return self.path.relative_to(WPT / self.suite).as_posix()


@dataclass
class Outcome:
    results: dict[str, int] = field(default_factory=dict)  # subtest -> status
    messages: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def meta(source: str) -> tuple[list[str], list[str], str | None]:
    scripts, variants, title = [], [], None
    for key, value in re.findall(r"^// META: ([^=]+?)=(.+)$", source, re.M):
        if key == "script":
            scripts.append(value.strip())
        elif key == "variant":
            variants.append(value.strip())
        elif key == "title":
            title = value.strip()
    return scripts, variants, title


# WPT's server answers these by other names.
ALIASES = {"/resources/WebIDLParser.js": "/resources/webidl2/lib/webidl2.js"}


def resolve(test: Path, reference: str) -> Path:
    reference = ALIASES.get(reference, reference)
    base = WPT if reference.startswith("/") else test.parent
    return (base / reference.lstrip("/")).resolve()


def specs(suite: str) -> list[Spec]:
    found: list[Spec] = []
    for pattern in SUITES[suite][1]:
        for path in sorted((WPT / suite).glob(pattern)):
            _, variants, _ = meta(path.read_text())
            found += [Spec(suite, path, variant) for variant in variants or [""]]
    return found


def modify(path: Path) -> str:
    """A helper script as we run it: the clone battery without its Blob and File cases (no such
    globals here; Node's runner modifies scripts too)."""
    source = path.read_text()
    if path.name == "structured-clone-battery-of-tests.js":
        source = re.sub(r"^check\('[^']*\b(Blob|File|FileList)\b.*$", "", source, flags=re.M)
    return source


def run(spec: Spec, sandbox) -> Outcome:
    source = spec.path.read_text()
    scripts, _, title = meta(source)
    parts = [PRELUDE, (WPT / "resources" / "testharness.js").read_text(), COLLECT]
    parts += [modify(resolve(spec.path, script)) for script in scripts]
    parts += [source, "\n;__wptDone;\n"]
    code = "\n".join(parts)
    resources = {}
    references = set(re.findall(r"""["']([^"']+\.json)["']""", source))
    # idlharness fetches the IDL of each spec that idl_test() names.
    for names in re.findall(r"idl_test\(\s*\[([^\]]*)\]\s*,\s*\[([^\]]*)\]", source):
        for name in re.findall(r"""["']([\w-]+)["']""", ",".join(names)):
            references.add(f"/interfaces/{name}.idl")
    for reference in references:
        path = resolve(spec.path, reference)
        if path.is_file():
            resources[reference] = path.read_text()
    relative = spec.path.relative_to(WPT).as_posix().replace(".js", ".html")
    context = {
        "location": f"http://wpt/{relative}{spec.variant}",
        "title": title,
        "resources": resources,
        "window": spec.suite in WINDOW_SUITES,
    }
    try:
        report = json.loads(sandbox.interpret(code, context))
    except SandboxError as error:
        return Outcome(error=f"{type(error).__name__}: {error}")
    outcome = Outcome(
        {name: status for name, status, _ in report["results"]},
        {name: message or "" for name, _, message in report["results"]},
    )
    if report["harness"] != 0:
        outcome.error = f"harness status {report['harness']}: {report['message']}"
    return outcome


def status_rules(path: Path) -> dict[str, dict]:
    return json.loads(path.read_text()) if path.is_file() else {}


def rule_for(rules: dict[str, dict], name: str) -> dict:
    matched: dict = {}
    for key, value in rules.items():
        if key == name or fnmatch(name, key):
            matched = {**matched, **value}
    return matched


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("suites", nargs="*", choices=[[], *SUITES], default=[])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="name each failure")
    parser.add_argument(
        "--failures", metavar="PATH", help="write every failing subtest, by suite and file, as JSON"
    )
    args = parser.parse_args(argv)
    if not WPT.is_dir():
        print("ci/wpt: no WPT subset; run ci/wpt-fetch first", file=sys.stderr)
        return 2
    ours = json.loads(OURS.read_text())
    # The permissive level's globals, without its scanner: WPT's harnesses name eval.
    with create_sandbox(security_level="permissive") as probe:
        names = probe.interpret("Object.getOwnPropertyNames(globalThis)", return_raw_result=True)
    sandbox = create_sandbox(
        security_level="custom",
        custom_security={
            "allowed_globals": names,
            "max_code_length": 4 << 20,
            "max_lines": 1_000_000,
        },
        max_execution_time=20_000,
        memory_limit_mb=256,
    )
    rows, surprises, started = [], [], time.monotonic()
    failures: dict[str, dict[str, list[str]]] = {}
    for suite in args.suites or list(SUITES):
        node_rules = status_rules(STATUS / SUITES[suite][0])
        our_rules = ours.get(suite, {})
        passed = total = node_passes = node_total = 0
        missing = 0  # subtests Node passes and we do not
        for spec in specs(suite):
            outcome = run(spec, sandbox)
            node = rule_for(node_rules, spec.name)
            node_fails = set(node.get("fail", {}).get("expected", []))
            rule = rule_for(our_rules, spec.name)
            listed = rule.get("fail", [])
            anything = listed == "*"  # a file whose subject is not offered here at all
            # Subtests that fail only on one V8 (by major version) are listed under it.
            expected = (
                set()
                if anything
                else set(listed) | set(rule.get("fail_on_v8", {}).get(V8_MAJOR, []))
            )
            if outcome.error is not None and not outcome.results:
                outcome.results = {f"(the file: {outcome.error})": 1}
            for name, status in outcome.results.items():
                total += 1
                node_total += 1
                ok = status == PASS
                passed += ok
                node_ok = "skip" not in node and name not in node_fails
                node_passes += node_ok
                missing += node_ok and not ok
                if not ok:
                    failures.setdefault(suite, {}).setdefault(spec.name, []).append(name)
                if not anything and ok == (name in expected):
                    what = "passes but is listed as failing" if ok else "fails"
                    surprises.append(f"{suite}/{spec.name}{spec.variant}: {name!r} {what}")
                if args.verbose and not ok:
                    print(
                        f"  {suite}/{spec.name}{spec.variant}: {name!r}: "
                        f"{STATUS_NAMES.get(status, status)} {outcome.messages.get(name, '')}"
                    )
        rows.append(
            {
                "suite": suite,
                "passed": passed,
                "total": total,
                "node_passed": node_passes,
                "node_total": node_total,
                "node_passes_we_fail": missing,
            }
        )
    sandbox.kill()
    if args.failures:
        Path(args.failures).write_text(json.dumps(failures, indent=1))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'suite':44} {'ours':>11} {'Node 20':>11} {'Node passes, we fail':>21}")
        for row in rows:
            ours_text = f"{row['passed']}/{row['total']}"
            node_text = f"{row['node_passed']}/{row['node_total']}"
            print(
                f"{row['suite']:44} {ours_text:>11} {node_text:>11} "
                f"{row['node_passes_we_fail']:>21}"
            )
        print(f"({time.monotonic() - started:.1f} s)")
    for surprise in surprises:
        print(f"ci/wpt: {surprise}", file=sys.stderr)
    return 1 if surprises else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
