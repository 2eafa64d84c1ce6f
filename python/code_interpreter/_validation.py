"""Checks of numbers given as options and arguments: an int or a float within a range, never a
bool (which Python counts as an int). Each caller words its own error message.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

import math

__all__ = ["is_int", "is_number", "is_positive_number"]


def is_int(value: object, low: float = -math.inf, high: float = math.inf) -> bool:
    """Whether `value` is an int, not a bool, with ``low <= value <= high``."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def is_number(value: object, low: float = -math.inf, high: float = math.inf) -> bool:
    """Whether `value` is an int or a float, not a bool, with ``low <= value <= high`` (so
    never NaN)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high


def is_positive_number(value: object) -> bool:
    """Whether `value` is an int or a float, not a bool, that is not ``<= 0``. NaN passes, as
    it always has at the callers (refusing it would change what they accept)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not value <= 0
