"""A small JavaScript tokenizer for the security scanner.

It yields identifiers (with unicode escapes decoded, so ``\\u0065val`` is ``eval``),
punctuation and quoted string literals (their text, escapes left as written), and skips what
cannot name anything: comments, the text of template literals (their ``${...}`` parts are
scanned as code) and regular expression literals. It is not a parser; it only has to be right
about what is code and what is text.

PYTEST_DONT_REWRITE (see __init__).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

__all__ = ["Token", "tokenize"]


class Token(NamedTuple):
    kind: str  # "ident", "punct" or "string"
    text: str
    property_name: bool  # an identifier right after "." or "?.": a property, not a binding


_IDENT_START = re.compile(r"[A-Za-z_$\u0080-\uffff]|\\u")
_IDENT_PART = re.compile(
    r"(?:[A-Za-z0-9_$\u0080-\uffff\u200c\u200d]|\\u\{[0-9A-Fa-f]+\}|\\u[0-9A-Fa-f]{4})+"
)
_ESCAPE = re.compile(r"\\u\{([0-9A-Fa-f]+)\}|\\u([0-9A-Fa-f]{4})")
_NUMBER = re.compile(
    r"(?:0[xXoObB][0-9A-Fa-f_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)n?"
)
# After these, a "/" starts a regular expression rather than a division.
_REGEX_AFTER_WORDS = frozenset(
    [
        "return",
        "typeof",
        "instanceof",
        "in",
        "of",
        "new",
        "delete",
        "void",
        "throw",
        "case",
        "do",
        "else",
        "yield",
        "await",
    ]
)


def _decode_escapes(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else "\ufffd"

    return _ESCAPE.sub(replace, text)


def _skip_string(code: str, i: int, quote: str) -> int:
    i += 1
    while i < len(code):
        char = code[i]
        if char == "\\":
            i += 2
            continue
        if char == quote or char == "\n":
            return i + 1
        i += 1
    return i


def _skip_regex(code: str, i: int) -> int:
    i += 1
    in_class = False
    while i < len(code):
        char = code[i]
        if char == "\\":
            i += 2
            continue
        if char == "\n":
            return i
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "/":
            i += 1
            while i < len(code) and (code[i].isalnum() or code[i] in "_$"):
                i += 1
            return i
        i += 1
    return i


def _skip_template_text(code: str, i: int) -> tuple[int, bool]:
    """From inside a template literal, returns the index after its text and whether a ``${``
    opened (True) or the literal closed (False)."""
    while i < len(code):
        char = code[i]
        if char == "\\":
            i += 2
            continue
        if char == "`":
            return i + 1, False
        if char == "$" and code.startswith("${", i):
            return i + 2, True
        i += 1
    return i, False


def tokenize(code: str) -> Iterator[Token]:
    i = 0
    length = len(code)
    braces: list[bool] = []  # per open "{": True when it opened a template substitution
    previous: Token | None = None
    while i < length:
        char = code[i]
        if char.isspace():
            i += 1
            continue
        if code.startswith("//", i):
            end = code.find("\n", i)
            i = length if end < 0 else end
            continue
        if code.startswith("/*", i):
            end = code.find("*/", i + 2)
            i = length if end < 0 else end + 2
            continue
        if char in "'\"":
            end = _skip_string(code, i, char)
            yield Token("string", code[i + 1 : end - 1], False)
            i = end
            previous = Token("punct", "literal", False)
            continue
        if char == "`":
            i, opened = _skip_template_text(code, i + 1)
            if opened:
                braces.append(True)
            previous = Token("punct", "literal", False)
            continue
        if char == "}" and braces and braces[-1]:
            braces.pop()
            i, opened = _skip_template_text(code, i + 1)
            if opened:
                braces.append(True)
            previous = Token("punct", "literal", False)
            continue
        if char == "/":
            regex_here = (
                previous is None
                or (previous.kind == "punct" and previous.text not in (")", "]", "}", "literal"))
                or (previous.kind == "ident" and previous.text in _REGEX_AFTER_WORDS)
            )
            if regex_here:
                i = _skip_regex(code, i)
                previous = Token("punct", "literal", False)
                continue
        if _IDENT_START.match(code, i):
            match = _IDENT_PART.match(code, i)
            if match is None:  # a lone backslash-u that is not an escape
                i += 2
                continue
            after_dot = previous is not None and previous.kind == "punct" and previous.text == "."
            token = Token("ident", _decode_escapes(match.group()), after_dot)
            yield token
            previous = token
            i = match.end()
            continue
        if char.isdigit() or (char == "." and i + 1 < length and code[i + 1].isdigit()):
            match = _NUMBER.match(code, i)
            i = match.end() if match and match.end() > i else i + 1
            previous = Token("punct", "literal", False)
            continue
        if code.startswith("?.", i) and not (i + 2 < length and code[i + 2].isdigit()):
            token = Token("punct", ".", False)
            i += 2
        else:
            if char == "{":
                braces.append(False)
            elif char == "}" and braces:
                braces.pop()
            token = Token("punct", char, False)
            i += 1
        yield token
        previous = token
