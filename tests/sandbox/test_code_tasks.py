"""A correct and an incorrect solution per code task type score 1 and 0; extraction; pass@k."""

from __future__ import annotations

import json

import pytest

from harness.sandbox.code_tasks import (
    decode_private_tests,
    encode_private_tests,
    extract_code,
    outputs_match,
    pass_at_k,
    run_functional_tests,
    run_humaneval,
    run_stdin_tests,
)

STDIN_TESTS = [{"input": "1 2\n", "output": "3\n"}, {"input": "10 -4\n", "output": "6\n"}]


def test_stdin_task():
    assert run_stdin_tests("a, b = map(int, input().split())\nprint(a + b)\n", STDIN_TESTS).passed
    wrong = run_stdin_tests("a, b = map(int, input().split())\nprint(a - b)\n", STDIN_TESTS)
    assert not wrong.passed and wrong.status == "wrong_answer" and wrong.tests_passed == 0


def test_functional_task():
    tests = [{"input": "[1, 2, 4]", "output": "2"}, {"input": "[]", "output": "0"}]
    good = "class Solution:\n    def countEven(self, nums):\n        return sum(n % 2 == 0 for n in nums)\n"
    bad = "class Solution:\n    def countEven(self, nums):\n        return len(nums)\n"
    assert run_functional_tests(good, "countEven", tests).metrics() == {"pass": 1.0, "tests_passed_fraction": 1.0}
    v = run_functional_tests(bad, "countEven", tests)
    assert v.metrics()["pass"] == 0.0 and v.tests_passed == 0


def test_humaneval_task():
    prompt = 'def add(a, b):\n    """Return a + b."""\n'
    test = "def check(candidate):\n    assert candidate(2, 3) == 5\n"
    assert run_humaneval(prompt, "    return a + b\n", test, "add").passed
    assert not run_humaneval(prompt, "    return a * b\n", test, "add").passed
    assert run_humaneval(prompt, "def add(a, b):\n    return b + a\n", test, "add").passed  # a whole function


def test_a_hostile_solution_is_just_a_failure():
    assert run_stdin_tests("while True: pass", STDIN_TESTS[:1]).status == "timeout"


def test_extract_code():
    text = "<think>```python\nprint(0)\n```</think>Here:\n```python\nprint(1)\n```\nand finally\n```python\nprint(2)\n```"
    assert extract_code(text).strip() == "print(2)"
    assert extract_code("print(3)").strip() == "print(3)"


def test_output_comparison():
    assert outputs_match("3 \n", "3")
    assert outputs_match("1.50\n", "1.5")
    assert not outputs_match("3\n4", "3")
    assert not outputs_match("abc", "abd")


def test_private_tests_round_trip_and_refuse_objects():
    tests = [{"input": "1", "output": "2", "testtype": "stdin"}]
    assert decode_private_tests(encode_private_tests(tests)) == tests
    import base64
    import pickle
    import zlib

    evil = base64.b64encode(zlib.compress(pickle.dumps(print))).decode()
    with pytest.raises(pickle.UnpicklingError):
        decode_private_tests(evil)
    assert decode_private_tests(json.dumps(tests)) == tests


@pytest.mark.parametrize("n, c, k, expected", [
    (5, 0, 1, 0.0), (5, 5, 1, 1.0), (5, 2, 1, 0.4), (5, 1, 5, 1.0), (5, 2, 2, 1 - (3 * 2) / (5 * 4)), (10, 3, 5, 1 - (7 * 6 * 5 * 4 * 3) / (10 * 9 * 8 * 7 * 6)),
])
def test_pass_at_k_unbiased(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected)
