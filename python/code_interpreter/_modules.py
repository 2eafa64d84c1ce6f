"""The packages a sandbox may ``require``: found, checked and read once, when it is made.

Each allowed package, and each of its declared dependencies that can be found, is read into a
closed virtual file system (``/node_modules/<name>/...``) handed to the native core, which
resolves ``require`` over it as Node does inside a package. Nothing is read from the host after
that, so no script can reach a file outside these packages, whatever it asks for. Only
regular ``.js``, ``.cjs`` and ``.json`` files are read (a FIFO or a device would block or never
end), of at most 32 MB each, and only files whose real path (symlinks resolved) lies inside
their package's folder.

PYTEST_DONT_REWRITE (see __init__).
"""

from __future__ import annotations

import json
import os
import re
import stat
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import _core
from ._errors import ConfigurationError
from ._node_builtins import NODE_BUILTINS

__all__ = ["NODE_BUILTINS", "check_module_names", "load_modules"]


# npm's rule for package names, scoped or not.
_PACKAGE_NAME = re.compile(r"^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")
_READ_EXTENSIONS = (".js", ".cjs", ".json")
_REQUIRE_CONDITIONS = ("require", "node", "default")  # what Node's require matches
_MAX_FILES = 100_000
_MAX_BYTES = 256 << 20
_MAX_FILE_BYTES = 32 << 20


class _NotRegular(OSError):
    """A path that is not a regular file (a FIFO, a socket, a device, a folder)."""


def _read_regular(path: str) -> bytes:
    """The bytes of the regular file at `path`. Opening never blocks (O_NONBLOCK: a FIFO opens
    at once), and what was opened is checked with fstat, so a file swapped for a FIFO between
    a check and the open cannot block either. Raises _NotRegular, OSError, or
    ConfigurationError for a file over the size bound."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise _NotRegular(path)
        if status.st_size > _MAX_FILE_BYTES:
            raise ConfigurationError(_too_large(path))
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(_MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > _MAX_FILE_BYTES:  # it grew after fstat
        raise ConfigurationError(_too_large(path))
    return data


def _too_large(path: str) -> str:
    return (
        f"allowed_modules: {path} is larger than {_MAX_FILE_BYTES >> 20} MB, more than a module "
        "file may be"
    )


def check_module_names(option: str, names: Iterable[str]) -> None:
    """Refuses what can never be an allowed package: a built-in, a path, a bad name."""
    for name in names:
        builtin = name[5:] if name.startswith("node:") else name
        if builtin in NODE_BUILTINS or builtin.split("/")[0] in NODE_BUILTINS:
            raise ConfigurationError(
                f"{option}: {name!r} is a Node built-in module; built-ins are never available "
                "in the sandbox"
            )
        if not _PACKAGE_NAME.match(name):
            raise ConfigurationError(
                f"{option}: {name!r} is not a package name (list packages by name, e.g. "
                "'lodash' or '@scope/name'; their subpaths come with them)"
            )


@dataclass
class _Package:
    name: str
    folder: str  # real path
    root: str  # virtual
    manifest: dict[str, Any]
    index: int
    dependencies: dict[str, int] = field(default_factory=dict)


def _read_manifest(folder: str) -> dict[str, Any]:
    path = os.path.join(folder, "package.json")
    try:
        manifest = json.loads(_read_regular(path).decode("utf-8-sig"))
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"{path} could not be read as JSON: {error}") from None
    if not isinstance(manifest, dict):
        raise ConfigurationError(f"{path} is not a JSON object")
    return manifest


def _is_package(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "package.json"))


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _dependency_folders(package: _Package, search: Sequence[str]) -> Iterable[str]:
    """Where Node would look for a dependency of `package` (its own node_modules, then each
    enclosing node_modules), then the sandbox's module paths."""
    folder = package.folder
    yield os.path.join(folder, "node_modules")
    parent = os.path.dirname(folder)
    while parent != os.path.dirname(parent):
        if os.path.basename(parent) == "node_modules":
            yield parent
        parent = os.path.dirname(parent)
    yield from search


class _Reader:
    """Reads the packages' files into rows for ``_core.ModuleStore``."""

    def __init__(self) -> None:
        self.files: list[tuple[str, bytes, int, bool]] = []
        self.paths: set[str] = set()
        self.directories: dict[str, str] = {}
        self.total = 0

    def read(self, package: _Package) -> None:
        dirs_seen: list[tuple[str, str, set[str]]] = []
        for here, subdirs, names in os.walk(package.folder):
            # Nested node_modules hold other packages, read as dependencies if declared.
            subdirs[:] = sorted(d for d in subdirs if d != "node_modules")
            relative = os.path.relpath(here, package.folder)
            virtual_dir = (
                package.root
                if relative == "."
                else f"{package.root}/" + "/".join(relative.split(os.sep))
            )
            present: set[str] = set()
            for name in sorted(names):
                if not name.endswith(_READ_EXTENSIONS):
                    continue
                path = os.path.join(here, name)
                if not _within(os.path.realpath(path), package.folder):
                    continue  # a symlink that leaves the package: as if absent
                try:
                    data = _read_regular(path)
                except OSError:
                    continue  # not a regular file, or unreadable: as if absent
                self.total += len(data)
                if len(self.files) >= _MAX_FILES or self.total > _MAX_BYTES:
                    raise ConfigurationError(
                        f"allowed_modules: the packages hold more than {_MAX_FILES} files or "
                        f"{_MAX_BYTES >> 20} MB of .js/.json; allow fewer or smaller packages"
                    )
                virtual = f"{virtual_dir}/{name}"
                self.files.append((virtual, data, package.index, name.endswith(".json")))
                self.paths.add(virtual)
                present.add(name)
            dirs_seen.append((here, virtual_dir, present))
        for here, virtual_dir, present in dirs_seen:
            entry = self._directory_entry(here, virtual_dir, present)
            if entry is not None:
                self.directories[virtual_dir] = entry

    def _file(self, path: str) -> str | None:
        for candidate in (path, path + ".js", path + ".json"):
            if candidate in self.paths:
                return candidate
        return None

    def _index(self, path: str) -> str | None:
        for candidate in (path + "/index.js", path + "/index.json"):
            if candidate in self.paths:
                return candidate
        return None

    def _directory_entry(self, here: str, virtual_dir: str, present: set[str]) -> str | None:
        """Node's LOAD_AS_DIRECTORY: package.json "main" (as a file, then as a folder), else
        the folder's index."""
        if "package.json" in present:
            try:
                manifest = json.loads(
                    _read_regular(os.path.join(here, "package.json")).decode("utf-8-sig")
                )
            except (OSError, ValueError):
                manifest = None
            main = manifest.get("main") if isinstance(manifest, dict) else None
            if isinstance(main, str) and main:
                target = _normal(virtual_dir, main)
                if target is not None and _virtual_within(target, virtual_dir):
                    found = self._file(target) or self._index(target)
                    if found is not None:
                        return found
        return self._index(virtual_dir)


def _normal(base: str, relative: str) -> str | None:
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


def _virtual_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/")


def _condition_target(value: Any) -> str | None:
    """The target a require() takes from an "exports" value: a string, the first matching
    condition of an object, or the first usable entry of an array; None when excluded."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        for item in value:
            target = _condition_target(item)
            if target is not None:
                return target
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _REQUIRE_CONDITIONS:
                target = _condition_target(item)
                if target is not None:
                    return target
    return None


_INVALID_MATCH_SEGMENTS = frozenset(["", ".", "..", "node_modules"])


def _exports_table(package: _Package, paths: set[str]) -> dict[str, str] | None:
    """Subpath ("." or "./sub") -> virtual file, from package.json "exports", with patterns
    expanded over the package's files; None when the package has no "exports"."""
    exports = package.manifest.get("exports")
    if exports is None:
        return None
    if not isinstance(exports, dict) or not any(key.startswith(".") for key in exports):
        exports = {".": exports}
    table: dict[str, str] = {}

    def place(target: str | None) -> str | None:
        if target is None or not target.startswith("./"):
            return None
        segments = target[2:].split("/")
        if any(s in ("", ".", "..", "node_modules") for s in segments if s != "*"):
            return None
        return f"{package.root}/{target[2:]}"

    exact = {k: v for k, v in exports.items() if "*" not in k and not k.endswith("/")}
    for key, value in exact.items():
        virtual = place(_condition_target(value))
        if virtual is not None and virtual in paths:
            table[key] = virtual
    # Patterns: the longest prefix first, each filling only subpaths not yet defined.
    patterns = sorted(
        (k for k in exports if k.count("*") == 1), key=lambda k: len(k.split("*")[0]), reverse=True
    )
    for key in patterns:
        virtual = place(_condition_target(exports[key]))
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
    return table


def _default_module_paths() -> tuple[str, ...]:
    return ("node_modules",) if os.path.isdir("node_modules") else ()


_cache: dict[tuple[Any, ...], Any] = {}
_cache_lock = threading.Lock()


def load_modules(allowed: Sequence[str], module_paths: Sequence[str] | None) -> Any:
    """A ``_core.ModuleStore`` for `allowed`, or None when nothing is allowed. Raises
    ConfigurationError naming the folders searched when a package is not found."""
    if not allowed:
        return None
    check_module_names("allowed_modules", allowed)
    search = tuple(
        os.path.realpath(p)
        for p in (module_paths if module_paths is not None else _default_module_paths())
    )
    packages: dict[str, _Package] = {}  # by real folder
    order: list[_Package] = []
    roots_used: set[str] = set()

    def add(name: str, folder: str, parent: _Package | None) -> _Package:
        real = os.path.realpath(folder)
        known = packages.get(real)
        if known is not None:
            return known
        root = f"/node_modules/{name}"
        if root in roots_used and parent is not None:
            root = f"{parent.root}/node_modules/{name}"
        suffix = 2
        while root in roots_used:
            root = f"/node_modules/{name}~{suffix}"
            suffix += 1
        roots_used.add(root)
        package = _Package(name, real, root, _read_manifest(real), len(order))
        packages[real] = package
        order.append(package)
        return package

    top: list[tuple[str, _Package]] = []
    for name in dict.fromkeys(allowed):
        folder = next(
            (os.path.join(p, name) for p in search if _is_package(os.path.join(p, name))), None
        )
        if folder is None:
            where = ", ".join(search) if search else "no folders (no module_paths given and no "
            where += "" if search else "node_modules in the working directory)"
            raise ConfigurationError(
                f"allowed_modules: package {name!r} was not found; searched {where}"
            )
        top.append((name, add(name, folder, None)))
    queue = list(order)
    while queue:
        package = queue.pop(0)
        manifest = package.manifest
        wanted: dict[str, None] = {}
        for key in ("dependencies", "optionalDependencies", "peerDependencies"):
            declared = manifest.get(key)
            if isinstance(declared, dict):
                wanted.update(dict.fromkeys(d for d in declared if isinstance(d, str)))
        for dependency in wanted:
            if not _PACKAGE_NAME.match(dependency) or dependency in NODE_BUILTINS:
                continue
            for base in _dependency_folders(package, search):
                candidate = os.path.join(base, dependency)
                if _is_package(candidate):
                    known = len(order)
                    found = add(dependency, candidate, package)
                    package.dependencies[dependency] = found.index
                    if found.index == known:
                        queue.append(found)
                    break

    fingerprint = tuple(
        (p.folder, os.stat(os.path.join(p.folder, "package.json")).st_mtime_ns) for p in order
    )
    cache_key = (tuple(allowed), search, fingerprint)
    with _cache_lock:
        cached = _cache.get(cache_key)
    if cached is not None:
        return cached
    reader = _Reader()
    for package in order:
        reader.read(package)
    store = _core.ModuleStore(
        packages=[(p.name, p.root, _exports_table(p, reader.paths), p.dependencies) for p in order],
        files=reader.files,
        directories=reader.directories,
        allowed=[(name, package.index) for name, package in top],
        builtins=sorted(NODE_BUILTINS | {"node"}),
    )
    with _cache_lock:
        if len(_cache) >= 16:
            _cache.pop(next(iter(_cache)))
        _cache[cache_key] = store
    return store
