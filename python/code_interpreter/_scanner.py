"""The security scanner: an early, explainable check of the code before it runs.

Built-in patterns of each level match tokens (see ``_tokens``), so a blocked word inside a
string literal, a comment or a property name does not trip them, and identifiers spelled with
unicode escapes are caught. User ``blocked_patterns`` are regular expressions searched in the
raw source. ``custom_validators`` are called last. Verdicts are cached by
code. The scanner is not the wall: V8 itself refuses string code generation and offers no host
objects, so code that slips past it still cannot do what the patterns describe.

PYTEST_DONT_REWRITE (see __init__).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ._errors import SecurityViolation
from ._options import CustomSecurity
from ._tokens import Token, tokenize

__all__ = ["LEVELS", "LevelPolicy", "Scanner", "TokenPattern"]


@dataclass(frozen=True)
class TokenPattern:
    """Identifiers in sequence (``"."`` for a member access), e.g. ``("process", ".", "exit")``.
    ``properties`` also matches identifiers used as property names."""

    name: str
    reason: str
    sequence: tuple[str, ...]
    properties: bool = False


def _p(name: str, reason: str, *sequence: str, properties: bool = False) -> TokenPattern:
    return TokenPattern(name, reason, sequence or (name,), properties)


_REQUIRE = _p("require", "require() loads host modules", "require")
_IMPORT = _p("import", "import statements and import() load modules", "import")
_EVAL = _p("eval", "eval() runs code built from strings", "eval")
_FUNCTION = _p("Function", "the Function constructor runs code built from strings", "Function")
_PROCESS = _p("process", "process gives access to the host process", "process")
_GLOBAL = _p("global", "global is the host's global object", "global")
_BUFFER = _p("Buffer", "Buffer operations are host memory access", "Buffer")
_FS = _p("fs", "fs is file system access", "fs")
_CHILD = _p("child_process", "child_process starts host processes", "child_process")
_CRYPTO = _p("crypto", "crypto operations are not offered", "crypto")
_EXIT = _p("process.exit", "process.exit() ends the host process", "process", ".", "exit")
_UNLINK = _p("unlink", "destructive file operations", "unlink", properties=True)
_UNLINK_SYNC = _p("unlinkSync", "destructive file operations", "unlinkSync", properties=True)
_RMDIR = _p("rmdir", "destructive file operations", "rmdir", properties=True)
_RMDIR_SYNC = _p("rmdirSync", "destructive file operations", "rmdirSync", properties=True)


@dataclass(frozen=True)
class LevelPolicy:
    """What a security level allows: code size, patterns, and what its contexts offer."""

    name: str
    max_code_length: int
    max_lines: int
    patterns: tuple[TokenPattern, ...]
    timers: bool
    webassembly: bool
    # URL, TextEncoder, atob, structuredClone, crypto, performance, AbortController, ...
    web_globals: bool


LEVELS: Mapping[str, LevelPolicy] = {
    "strict": LevelPolicy(
        "strict",
        10_000,
        500,
        (_REQUIRE, _IMPORT, _EVAL, _FUNCTION, _PROCESS, _GLOBAL, _BUFFER, _FS, _CHILD, _CRYPTO),
        timers=False,
        webassembly=False,
        web_globals=False,
    ),
    "moderate": LevelPolicy(
        "moderate",
        50_000,
        2000,
        (_REQUIRE, _IMPORT, _EVAL, _PROCESS, _FS, _CHILD),
        timers=True,
        webassembly=False,
        web_globals=True,
    ),
    "permissive": LevelPolicy(
        "permissive",
        1_000_000,
        50_000,
        (_EVAL, _EXIT, _CHILD, _UNLINK, _UNLINK_SYNC, _RMDIR, _RMDIR_SYNC),
        timers=True,
        webassembly=True,
        web_globals=True,
    ),
}


def custom_level(policy: CustomSecurity) -> LevelPolicy:
    allowed = policy.allowed_globals
    return LevelPolicy(
        "custom",
        policy.max_code_length,
        policy.max_lines,
        (),
        timers=allowed is not None and "setTimeout" in allowed,
        webassembly=allowed is not None and "WebAssembly" in allowed,
        # Each one listed (the core offers only those).
        web_globals=allowed is not None,
    )


class Scanner:
    """Checks code against one level's policy; raises SecurityViolation on the first hit."""

    CACHE_SIZE = 4096
    CACHE_MAX_CODE = 64 << 10  # longer code is judged every time, so the cache stays small

    def __init__(
        self, level: LevelPolicy, custom: CustomSecurity | None, modules: Sequence[str] = ()
    ) -> None:
        self.level = level
        self._custom = custom
        self._modules = tuple(modules)
        self._first = {pattern.sequence[0]: pattern for pattern in level.patterns}
        self._verdicts: OrderedDict[str, SecurityViolation | None] = OrderedDict()
        self._lock = threading.Lock()
        # Code that passed, for the callers' fast path (a set lookup instead of this method).
        self.approved: set[str] = set()

    @property
    def blocked_patterns(self) -> list[str]:
        names = [pattern.name for pattern in self.level.patterns]
        if self._custom is not None:
            names += [p.pattern for p in self._custom.blocked_patterns]  # type: ignore[union-attr]
        return names

    def check(self, code: str) -> None:
        verdicts = self._verdicts
        try:
            verdict = verdicts[code]
        except KeyError:
            verdict = self._judge(code)
            if len(code) > self.CACHE_MAX_CODE:
                if verdict is not None:
                    raise verdict from None
                return
            with self._lock:
                verdicts[code] = verdict
                if len(verdicts) > self.CACHE_SIZE:
                    verdicts.popitem(last=False)
                if verdict is None:
                    if len(self.approved) >= self.CACHE_SIZE:
                        self.approved.clear()
                    self.approved.add(code)
        if verdict is not None:
            raise verdict

    def _judge(self, code: str) -> SecurityViolation | None:
        level = self.level
        if len(code) > level.max_code_length:
            return _violation(
                "max_code_length",
                f"code is {len(code)} characters; the "
                f"{level.name} limit is {level.max_code_length}",
            )
        lines = code.count("\n") + 1
        if lines > level.max_lines:
            return _violation(
                "max_lines", f"code has {lines} lines; the {level.name} limit is {level.max_lines}"
            )
        if self._first:
            hit = self._match_tokens(code)
            if hit is not None:
                return _violation(hit.name, hit.reason)
        custom = self._custom
        if custom is not None:
            for pattern in custom.blocked_patterns:
                if pattern.search(code):  # type: ignore[union-attr]
                    text = pattern.pattern  # type: ignore[union-attr]
                    return _violation(text, f"the code matches the blocked pattern {text!r}")
            for validator in custom.custom_validators:
                verdict = validator(code)
                if not isinstance(verdict, Mapping) or "valid" not in verdict:
                    raise TypeError(
                        f"custom validator {validator!r} must return a dict with 'valid', "
                        f"not {verdict!r}"
                    )
                if not verdict["valid"]:
                    reason = str(verdict.get("reason") or "refused by a custom validator")
                    return _violation("custom_validator", reason)
        return None

    def _match_tokens(self, code: str) -> TokenPattern | None:
        tokens = list(tokenize(code))
        first = self._first
        for index, token in enumerate(tokens):
            if token.kind != "ident":
                continue
            pattern = first.get(token.text)
            if pattern is None or (token.property_name and not pattern.properties):
                continue
            if _is_object_key(tokens, index) and not pattern.properties:
                continue
            if pattern is _REQUIRE and self._requires_allowed_module(tokens, index):
                continue
            if pattern is _IMPORT and self._imports_allowed_module(tokens, index):
                continue
            sequence = pattern.sequence
            following = tokens[index : index + len(sequence)]
            if tuple(t.text for t in following if t.kind != "string") == sequence:
                return pattern
        return None

    def _requires_allowed_module(self, tokens: list[Token], index: int) -> bool:
        """``require('<allowed name or its subpath>')``, the name a plain string literal."""
        call = tokens[index + 1 : index + 4]
        if len(call) < 3 or [t.kind for t in call] != ["punct", "string", "punct"]:
            return False
        if call[0].text != "(" or call[2].text != ")":
            return False
        return self._allowed(call[1].text)

    def _imports_allowed_module(self, tokens: list[Token], index: int) -> bool:
        """``import('<allowed>')``, ``import '<allowed>'`` and import declarations whose
        ``from`` names an allowed module, each a plain string literal."""
        following = tokens[index + 1 : index + 2]
        if not following:
            return False
        if following[0].text == "(":
            return self._requires_allowed_module(tokens, index)
        if following[0].kind == "string":
            return self._allowed(following[0].text)
        # import x, { a as b, default as c }, * as ns from '<allowed>'
        for offset, token in enumerate(tokens[index + 1 : index + 1 + _MAX_IMPORT_TOKENS]):
            if token.kind == "ident" and token.text == "from" and not token.property_name:
                after = tokens[index + 2 + offset : index + 3 + offset]
                return bool(after) and after[0].kind == "string" and self._allowed(after[0].text)
            # Names, `{ a as b, 'c' as d }`, `* as ns`: never a call or an expression.
            clause = token.kind in ("ident", "string") or token.text in _IMPORT_CLAUSE_PUNCTUATION
            if not clause:
                return False
        return False

    def _allowed(self, name: str) -> bool:
        return any(name == module or name.startswith(module + "/") for module in self._modules)


# What may stand between `import` and `from` in a declaration.
_IMPORT_CLAUSE_PUNCTUATION = frozenset([",", "{", "}", "*"])
_MAX_IMPORT_TOKENS = 512


def _is_object_key(tokens: list[Token], index: int) -> bool:
    """``{ process: 1 }`` names a key, not the binding."""
    return (
        0 < index < len(tokens) - 1
        and tokens[index - 1].kind == "punct"
        and tokens[index - 1].text in ("{", ",")
        and tokens[index + 1].text == ":"
    )


def _violation(pattern: str, reason: str) -> SecurityViolation:
    return SecurityViolation(f"{reason} (pattern {pattern!r})", pattern=pattern, reason=reason)
