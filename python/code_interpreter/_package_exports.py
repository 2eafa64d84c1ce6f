"""What a package's manifest says about its entry points, for one set of conditions.

Resolution is that of a bundler targeting a browser-like runtime: package.json "exports" and
"imports" are matched against the sandbox's conditions (``browser`` by default) plus
``require`` or ``import`` and ``default``, and the "browser" field replaces the package's main
file, files of its own, and Node built-ins it names (``false``: an empty module). Each table is
computed once, when the sandbox is made, over the package's files that were read.

PYTEST_DONT_REWRITE (see __init__).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

__all__ = [
    "DEFAULT_CONDITIONS",
    "EMPTY_MODULE",
    "browser_aliases",
    "browser_main",
    "exports_table",
    "imports_table",
    "normal_path",
]

DEFAULT_CONDITIONS = ("browser",)
# The module a "browser" entry of false stands for: no source, an empty exports object.
EMPTY_MODULE = "/node_modules/.empty-module.js"
_INVALID_MATCH_SEGMENTS = frozenset(["", ".", "..", "node_modules"])
_EXTENSIONS = ("", ".js", ".json", ".mjs", ".cjs")


def normal_path(base: str, relative: str) -> str | None:
    """`relative` joined to the virtual folder `base`, with . and .. applied; None above /."""
    parts: list[str] = []
    for part in f"{base}/{relative}".split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/" + "/".join(parts)


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/")


def _condition_target(value: Any, conditions: Collection[str]) -> str | None:
    """The target an "exports" or "imports" value gives: a string, the first matching
    condition of an object (in the object's order, as Node does), or the first usable entry
    of an array; None when excluded."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        for item in value:
            target = _condition_target(item, conditions)
            if target is not None:
                return target
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if key in conditions:
                target = _condition_target(item, conditions)
                if target is not None:
                    return target
    return None


def _place(root: str, target: str | None) -> str | None:
    if target is None or not target.startswith("./"):
        return None
    segments = target[2:].split("/")
    if any(s in ("", ".", "..", "node_modules") for s in segments if s != "*"):
        return None
    return f"{root}/{target[2:]}"


def _expand(
    table: dict[str, str],
    entries: Mapping[str, Any],
    root: str,
    paths: Collection[str],
    conditions: Collection[str],
) -> None:
    """Fills `table` from `entries` (keys exact or with one "*"), patterns expanded over
    `paths`; exact keys first, then patterns by longest prefix, each filling only keys not
    yet defined."""
    for key, value in entries.items():
        if "*" in key or key.endswith("/"):
            continue
        virtual = _place(root, _condition_target(value, conditions))
        if virtual is not None and virtual in paths:
            table.setdefault(key, virtual)
    patterns = sorted(
        (k for k in entries if k.count("*") == 1), key=lambda k: len(k.split("*")[0]), reverse=True
    )
    for key in patterns:
        virtual = _place(root, _condition_target(entries[key], conditions))
        if virtual is None or virtual.count("*") != 1:
            continue
        target_prefix, target_suffix = virtual.split("*")
        key_prefix, key_suffix = key.split("*")
        for path in paths:
            if (
                path.startswith(target_prefix)
                and path.endswith(target_suffix)
                and len(path) >= len(target_prefix) + len(target_suffix)
            ):
                match = path[len(target_prefix) : len(path) - len(target_suffix)]
                # As Node: what a pattern matches may not step into another package (a nested
                # node_modules) or use empty, "." or ".." segments.
                if match and not any(
                    segment.lower() in _INVALID_MATCH_SEGMENTS for segment in match.split("/")
                ):
                    table.setdefault(key_prefix + match + key_suffix, path)


def exports_table(
    manifest: Mapping[str, Any],
    root: str,
    paths: Collection[str],
    conditions: Collection[str],
    fallback: Collection[str] = (),
) -> dict[str, str] | None:
    """Subpath ("." or "./sub") -> virtual file, from "exports" under `conditions`, then under
    `fallback` for subpaths those leave undefined; None when the package has no "exports"."""
    exports = manifest.get("exports")
    if exports is None:
        return None
    if not isinstance(exports, dict) or not any(key.startswith(".") for key in exports):
        exports = {".": exports}
    table: dict[str, str] = {}
    _expand(table, exports, root, paths, conditions)
    if fallback:
        _expand(table, exports, root, paths, fallback)
    return table


def imports_table(
    manifest: Mapping[str, Any], root: str, paths: Collection[str], conditions: Collection[str]
) -> dict[str, str]:
    """ "#name" -> virtual file, from package.json "imports" (targets inside the package)."""
    imports = manifest.get("imports")
    table: dict[str, str] = {}
    if isinstance(imports, dict):
        entries = {k: v for k, v in imports.items() if isinstance(k, str) and k.startswith("#")}
        _expand(table, entries, root, paths, conditions)
    return table


def _find(path: str, paths: Collection[str]) -> str | None:
    for extension in _EXTENSIONS:
        if path + extension in paths:
            return path + extension
    for index in ("/index.js", "/index.json"):
        if path + index in paths:
            return path + index
    return None


def browser_main(manifest: Mapping[str, Any], root: str, paths: Collection[str]) -> str | None:
    """The file a "browser" string puts in place of "main"."""
    browser = manifest.get("browser")
    if not isinstance(browser, str) or not browser:
        return None
    target = normal_path(root, browser)
    if target is None or not _within(target, root):
        return None
    return _find(target, paths)


def browser_aliases(
    manifest: Mapping[str, Any], root: str, paths: Collection[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """From a "browser" object: (file -> replacement file, module name -> replacement file),
    EMPTY_MODULE for false. Entries that lead outside the package or to nothing are left out."""
    browser = manifest.get("browser")
    files: dict[str, str] = {}
    names: dict[str, str] = {}
    if not isinstance(browser, dict):
        return files, names
    for key, value in browser.items():
        if not isinstance(key, str) or not key:
            continue
        if value is False:
            replacement: str | None = EMPTY_MODULE
        elif isinstance(value, str) and value.startswith("."):
            target = normal_path(root, value)
            replacement = (
                _find(target, paths) if target is not None and _within(target, root) else None
            )
        else:
            replacement = None  # another package by name: not followed
        if replacement is None:
            continue
        if key.startswith("."):
            source = normal_path(root, key)
            if source is None or not _within(source, root):
                continue
            # The file the key names, or the path as written when absent (a Node-only file
            # left out of the package): resolution looks aliases up before files.
            files[_find(source, paths) or source] = replacement
        else:
            names[key] = replacement
    return files, names
