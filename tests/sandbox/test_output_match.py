"""LiveCodeBench's output comparison, case by case (lcb_runner grade_stdio / grade_call_based)."""

from __future__ import annotations

import pytest

from harness.sandbox.output_match import return_value_matches, stdout_matches


@pytest.mark.parametrize("got, expected, ok", [
    ("3\n", "3", True),
    ("  3  \n\n", "3\n", True),  # the whole text and each line are stripped
    ("1.50 2\n", "1.5 2.0", True),  # numbers compare as decimals
    ("1  2", "1 2", True),  # numeric tokens: internal whitespace does not matter
    ("Yes  No", "Yes No", False),  # text lines must match exactly
    ("YES 1.0", "YES 1", False),  # one non-numeric token: the line is compared as text
    ("3\n4", "3", False),  # line counts differ
    ("3\n\n4", "3\n4", False),  # a blank line inside counts
    ("abc", "abd", False),
    ("nan", "nan", True),  # identical text
    ("1e3", "1000", True),
    ("sNaN", "1", False),  # a signalling NaN refuses comparison: no crash
    ("3\r\n4\r\n", "3\n4", True),
    ("", "", True),
])
def test_stdout_matches(got, expected, ok):
    assert stdout_matches(got, expected) is ok


@pytest.mark.parametrize("got, expected, ok", [
    ([1, 2], "[1, 2]", True),
    (2.0, "2", True),
    (True, "1", True),
    ({"a": [1]}, '{"a": [1]}', True),
    ([1, 2], "[2, 1]", False),
    (1, "not json", False),
    (0.1 + 0.2, "0.3", False),  # exact, as in LiveCodeBench
])
def test_return_value_matches(got, expected, ok):
    assert return_value_matches(got, expected) is ok
