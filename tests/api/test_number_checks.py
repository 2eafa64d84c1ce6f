"""The one number check that options, per-call arguments and the service's settings share."""

from __future__ import annotations

import math

from code_interpreter._validation import is_int, is_number, is_positive_number


def test_bools_are_never_numbers() -> None:
    assert not is_int(True)
    assert not is_number(False, -1, 1)
    assert not is_positive_number(True)


def test_ranges_include_both_ends() -> None:
    assert is_int(1, 1, 3) and is_int(3, 1, 3)
    assert not is_int(4, 1, 3) and not is_int(2.0, 1, 3)
    assert is_number(0.5, 0.1, 1.0) and not is_number(0.05, 0.1, 1.0)
    assert not is_number(math.nan)


def test_positive_means_not_at_or_below_zero() -> None:
    assert is_positive_number(0.001) and is_positive_number(math.inf)
    assert not is_positive_number(0) and not is_positive_number(-1)
    assert not is_positive_number("5")
