"""The packages a sandbox may ``require`` or ``import``: found, checked and read once, when it
is made.

Each allowed package, and each of its declared dependencies that can be found, is read into a
closed virtual file system (``/node_modules/<name>/...``) handed to the native core, which
resolves requests over it as Node does inside a package (the tables of _package_exports.py, for
the sandbox's conditions). Nothing is read from the host after that, so no script can reach a
file outside these packages, whatever it asks for. Only regular ``.js``, ``.mjs``, ``.cjs`` and
``.json`` files are read (a FIFO or a device would block or never end), of at most 32 MB each,
and only files whose real path (symlinks resolved) lies inside their package's folder; each is
marked CommonJS, JSON or ES module (by extension, or by the nearest ``"type"``).

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
from ._package_exports import (
    DEFAULT_CONDITIONS,
    EMPTY_MODULE,
    browser_aliases,
    browser_main,
    exports_table,
    imports_table,
    normal_path,
)

__all__ = ["NODE_BUILTINS", "check_module_names", "load_modules"]


# npm's rule for package names, scoped or not.
_PACKAGE_NAME = re.compile(r"^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")
_READ_EXTENSIONS = (".js", ".mjs", ".cjs", ".json")
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


# How the native core runs a file (ModuleFile::format).
_COMMONJS, _JSON, _ESM = 0, 1, 2


def _manifest_of(folder: str) -> dict[str, Any] | None:
    """A folder's package.json as an object, None when absent or unreadable."""
    try:
        manifest = json.loads(
            _read_regular(os.path.join(folder, "package.json")).decode("utf-8-sig")
        )
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _format(name: str, module_type: str) -> int:
    if name.endswith(".json"):
        return _JSON
    if name.endswith(".mjs"):
        return _ESM
    if name.endswith(".cjs"):
        return _COMMONJS
    return _ESM if module_type == "module" else _COMMONJS


class _Reader:
    """Reads the packages' files into rows for ``_core.ModuleStore``."""

    def __init__(self) -> None:
        self.files: list[tuple[str, bytes, int, int]] = []
        self.paths: set[str] = set()
        self.directories: dict[str, str] = {}
        self.total = 0

    def read(self, package: _Package, conditions: tuple[str, ...]) -> None:
        dirs_seen: list[tuple[str, dict[str, Any] | None]] = []
        # A .js file is an ES module when the nearest package.json says "type": "module"; a
        # build folder often has a package.json of its own for that.
        types = {package.folder: str(package.manifest.get("type", "commonjs"))}
        for here, subdirs, names in os.walk(package.folder):
            # Nested node_modules hold other packages, read as dependencies if declared.
            subdirs[:] = sorted(d for d in subdirs if d != "node_modules")
            relative = os.path.relpath(here, package.folder)
            virtual_dir = (
                package.root
                if relative == "."
                else f"{package.root}/" + "/".join(relative.split(os.sep))
            )
            manifest = (
                package.manifest
                if here == package.folder
                else (_manifest_of(here) if "package.json" in names else None)
            )
            module_type = types.get(here) or types.get(os.path.dirname(here), "commonjs")
            if manifest is not None and isinstance(manifest.get("type"), str):
                module_type = manifest["type"]
            types[here] = module_type
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
                        f"{_MAX_BYTES >> 20} MB of .js/.mjs/.json; allow fewer or smaller packages"
                    )
                virtual = f"{virtual_dir}/{name}"
                self.files.append((virtual, data, package.index, _format(name, module_type)))
                self.paths.add(virtual)
            dirs_seen.append((virtual_dir, manifest))
        for virtual_dir, manifest in dirs_seen:
            main = (
                browser_main(manifest, virtual_dir, self.paths)
                if "browser" in conditions and manifest
                else None
            )
            entry = main or self._directory_entry(virtual_dir, manifest)
            if entry is not None:
                self.directories[virtual_dir] = entry

    def _file(self, path: str) -> str | None:
        for candidate in (path, path + ".js", path + ".json", path + ".mjs", path + ".cjs"):
            if candidate in self.paths:
                return candidate
        return None

    def _index(self, path: str) -> str | None:
        for candidate in (path + "/index.js", path + "/index.json", path + "/index.mjs"):
            if candidate in self.paths:
                return candidate
        return None

    def _directory_entry(self, virtual_dir: str, manifest: dict[str, Any] | None) -> str | None:
        """Node's LOAD_AS_DIRECTORY: package.json "main" (as a file, then as a folder), else
        the folder's index."""
        main = manifest.get("main") if manifest is not None else None
        if isinstance(main, str) and main:
            target = normal_path(virtual_dir, main)
            if target is not None and _virtual_within(target, virtual_dir):
                found = self._file(target) or self._index(target)
                if found is not None:
                    return found
        return self._index(virtual_dir)


def _virtual_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/")


def _default_module_paths() -> tuple[str, ...]:
    return ("node_modules",) if os.path.isdir("node_modules") else ()


_cache: dict[tuple[Any, ...], Any] = {}
_cache_lock = threading.Lock()


def load_modules(
    allowed: Sequence[str],
    module_paths: Sequence[str] | None,
    conditions: Sequence[str] = DEFAULT_CONDITIONS,
) -> Any:
    """A ``_core.ModuleStore`` for `allowed`, or None when nothing is allowed. `conditions`
    are the package.json conditions matched besides ``require``/``import`` and ``default``.
    Raises ConfigurationError naming the folders searched when a package is not found."""
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
    conditions = tuple(conditions)
    cache_key = (tuple(allowed), search, fingerprint, conditions)
    with _cache_lock:
        cached = _cache.get(cache_key)
    if cached is not None:
        return cached
    reader = _Reader()
    for package in order:
        reader.read(package, conditions)
    file_aliases = _file_aliases(order, reader, conditions)
    store = _core.ModuleStore(
        packages=[_package_row(p, reader.paths, conditions) for p in order],
        files=reader.files,
        directories=reader.directories,
        allowed=[(name, package.index) for name, package in top],
        builtins=sorted(NODE_BUILTINS | {"node"}),
        file_aliases=file_aliases,
    )
    with _cache_lock:
        if len(_cache) >= 16:
            _cache.pop(next(iter(_cache)))
        _cache[cache_key] = store
    return store


def _package_row(
    package: _Package, paths: set[str], conditions: tuple[str, ...]
) -> tuple[Any, ...]:
    """(name, root, exports for require or None, dependencies, the other tables)."""
    manifest, root = package.manifest, package.root
    require = (*conditions, "require", "default")
    import_ = (*conditions, "import", "default")
    # require() of a package whose "exports" offer only an ES module for `import` loads that
    # module, as Node's require() of ES modules does.
    tables: dict[str, Any] = {
        "import_exports": exports_table(manifest, root, paths, import_) or {},
        "imports": imports_table(manifest, root, paths, require),
        "import_imports": imports_table(manifest, root, paths, import_),
        "name_aliases": browser_aliases(manifest, root, paths)[1]
        if "browser" in conditions
        else {},
    }
    return (
        package.name,
        root,
        exports_table(manifest, root, paths, require, fallback=import_),
        package.dependencies,
        tables,
    )


def _file_aliases(
    order: Sequence[_Package], reader: _Reader, conditions: tuple[str, ...]
) -> dict[str, str]:
    """The "browser" objects' file replacements of every package; adds the empty module's
    file when one of them is false."""
    aliases: dict[str, str] = {}
    if "browser" not in conditions:
        return aliases
    empty_needed = False
    for package in order:
        files, names = browser_aliases(package.manifest, package.root, reader.paths)
        aliases.update(files)
        empty_needed = (
            empty_needed or EMPTY_MODULE in files.values() or EMPTY_MODULE in names.values()
        )
    if empty_needed:
        reader.files.append((EMPTY_MODULE, b"", 0, _COMMONJS))
    return aliases
