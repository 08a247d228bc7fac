"""LiveCodeBench's rules for "is this output right", reproduced exactly so scores compare with published ones
(lcb_runner/evaluation/testing_util.py: grade_stdio and grade_call_based)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any


def _stripped_lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(tok) for tok in line.split()]
    except (InvalidOperation, ValueError):
        return None


def stdout_matches(got: str, expected: str) -> bool:
    """Stdin problems: both texts stripped and split into lines, each line stripped; the same number of lines;
    each pair equal as text, or else as lists of decimals token by token ("1.50 2" = "1.5 2.0"). A line
    with any non-numeric token must match as text (internal whitespace included), as in LiveCodeBench."""
    got_lines, want_lines = _stripped_lines(got), _stripped_lines(expected)
    if len(got_lines) != len(want_lines):
        return False
    for g, w in zip(got_lines, want_lines):
        if g == w:
            continue
        gd, wd = _decimals(g), _decimals(w)
        try:
            if gd is None or wd is None or gd != wd:
                return False
        except InvalidOperation:  # a signalling NaN refuses to be compared
            return False
    return True


def return_value_matches(got: Any, expected_json: str) -> bool:
    """Functional problems: the method's return value (a top-level tuple already made a list, the rest as JSON
    data) equals the expected output parsed from JSON, by Python's `==` (so 2 == 2.0 and True == 1, as in
    LiveCodeBench)."""
    try:
        return bool(got == json.loads(expected_json))
    except (ValueError, RecursionError):
        return False
