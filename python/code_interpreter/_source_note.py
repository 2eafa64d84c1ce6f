"""In debug mode, a JavaScript error's traceback shows the failing line of the code and a caret
under its column.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

from ._errors import JavaScriptError

__all__ = ["add_source_note"]


def add_source_note(error: JavaScriptError, code: str) -> None:
    lines = code.splitlines()
    if error.line_number is None or not 0 < error.line_number <= len(lines):
        return
    source = lines[error.line_number - 1]
    caret = " " * ((error.column or 1) - 1) + "^"
    note = (
        f"  line {error.line_number}: {source}\n  {' ' * len(str(error.line_number))}       {caret}"
    )
    add_note = getattr(error, "add_note", None)
    if add_note is not None:
        add_note(note)
    else:
        # Before Python 3.11 there is no add_note and tracebacks print no notes: the note goes
        # where 3.11 keeps it, and into the message so that a traceback shows it.
        error.__notes__ = [*getattr(error, "__notes__", []), note]  # type: ignore[attr-defined]
        error.args = (f"{error.args[0]}\n{note}", *error.args[1:]) if error.args else (note,)
