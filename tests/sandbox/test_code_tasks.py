"""A correct and an incorrect solution per code task type score 1 and 0; per-test outcomes; LiveCodeBench rows
and HumanEval problems end to end; the answers never enter the sandbox."""

from __future__ import annotations

import json

import pytest

from harness.sandbox import Limits, ProcessSandbox, Sandbox, Status
from harness.sandbox.code_tasks import (
    run_functional_tests,
    run_humaneval,
    run_stdin_tests,
    score_humaneval,
    score_livecodebench,
)
from harness.sandbox.livecodebench_format import encode_private_tests

SANDBOX = ProcessSandbox()
FAST = Limits(wall_s=10.0, cpu_s=5.0, memory_mb=512)  # generous: statuses must not depend on the machine's load

STDIN_TESTS = [{"input": "1 2\n", "output": "3\n"}, {"input": "10 -4\n", "output": "6\n"}, {"input": "0 0\n", "output": "0\n"}]
ADD = "a, b = map(int, input().split())\nprint(a + b)\n"
SUB = "a, b = map(int, input().split())\nprint(a - b)\n"

FUNCTIONAL_TESTS = [{"input": "[1, 2, 4]", "output": "2"}, {"input": "[]", "output": "0"}, {"input": "[3, 5]\n1", "output": "1"}]
COUNT_EVEN = (  # `List` comes from LiveCodeBench's preamble, as LeetCode starter code expects
    "class Solution:\n    def countEven(self, nums: List[int], extra: int = 0) -> int:\n"
    "        return sum(n % 2 == 0 for n in nums) + extra\n"
)
COUNT_ALL = "class Solution:\n    def countEven(self, nums, extra=0):\n        return len(nums) + extra\n"

HUMANEVAL = {
    "task_id": "Fixture/0",
    "prompt": 'def helper(x):\n    return x\n\n\ndef add(a: int, b: int) -> int:\n    """Return a + b.\n    >>> add(2, 3)\n    5\n    """\n',
    "entry_point": "add",
    "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n",
}


def test_stdin_task_correct_and_incorrect():
    good = run_stdin_tests(ADD, STDIN_TESTS, SANDBOX, FAST)
    assert good.passed and good.metrics() == {"pass": 1.0, "tests_passed_fraction": 1.0}
    assert [t.status for t in good.tests] == [Status.OK] * 3
    bad = run_stdin_tests(SUB, STDIN_TESTS, SANDBOX, FAST)
    assert not bad.passed and bad.metrics()["pass"] == 0.0
    assert [t.status for t in bad.tests] == [Status.WRONG_ANSWER, Status.NOT_RUN, Status.NOT_RUN]  # LiveCodeBench stops
    every = run_stdin_tests(SUB, STDIN_TESTS, SANDBOX, FAST, stop_at_first_failure=False)
    assert [t.passed for t in every.tests] == [False, False, True]  # 0 - 0 = 0
    assert every.tests_passed == 1 and every.status == Status.WRONG_ANSWER


def test_functional_task_correct_and_incorrect():
    good = run_functional_tests(COUNT_EVEN, "countEven", FUNCTIONAL_TESTS, SANDBOX, FAST)
    assert good.passed and good.metrics()["pass"] == 1.0, good.to_dict()
    bad = run_functional_tests(COUNT_ALL, "countEven", FUNCTIONAL_TESTS, SANDBOX, FAST)
    assert not bad.passed and bad.metrics()["pass"] == 0.0
    # A wrong answer is known only outside, so the values of every test came back
    assert [t.status for t in bad.tests] == [Status.WRONG_ANSWER, Status.OK, Status.WRONG_ANSWER]


def test_functional_task_failures_are_told_apart():
    loops = "class Solution:\n    def countEven(self, nums, extra=0):\n        while True:\n            try:\n                pass\n            except BaseException:\n                pass\n"
    v = run_functional_tests(loops, "countEven", FUNCTIONAL_TESTS, SANDBOX, Limits(wall_s=0.5, cpu_s=2.0))
    assert [t.status for t in v.tests] == [Status.TIMEOUT, Status.NOT_RUN, Status.NOT_RUN]  # its except cannot swallow the alarm
    v = run_functional_tests("class Solution:\n    def countEven(self, nums", "countEven", FUNCTIONAL_TESTS, SANDBOX, FAST)
    assert v.tests[0].status == Status.RUNTIME_ERROR and "SyntaxError" in v.tests[0].detail
    crashes = "class Solution:\n    def countEven(self, nums, extra=0):\n        return nums[5]\n"
    v = run_functional_tests(crashes, "countEven", FUNCTIONAL_TESTS, SANDBOX, FAST)
    assert [t.status for t in v.tests] == [Status.RUNTIME_ERROR, Status.NOT_RUN, Status.NOT_RUN]
    leaves = "import os\nclass Solution:\n    def countEven(self, nums, extra=0):\n        os._exit(0)\n"
    v = run_functional_tests(leaves, "countEven", FUNCTIONAL_TESTS, SANDBOX, FAST)
    assert v.tests[0].status == Status.RUNTIME_ERROR and not v.passed  # exiting early passes nothing


@pytest.mark.parametrize("returned, expected, ok", [
    ("(1, 2)", "[1, 2]", True),  # a top-level tuple counts as a list (LiveCodeBench)
    ("[(1, 2)]", "[[1, 2]]", False),  # a nested one does not
    ("2.0", "2", True),
    ("True", "1", True),
    ("{1: 2}", '{"1": 2}', False),
    ("{1, 2}", "[1, 2]", False),
    ("None", "null", True),
])
def test_functional_return_values_compare_as_livecodebench_does(returned, expected, ok):
    code = f"class Solution:\n    def f(self, x):\n        return {returned}\n"
    assert run_functional_tests(code, "f", [{"input": "0", "output": expected}], SANDBOX, FAST).passed is ok


def test_humaneval_task_correct_and_incorrect():
    good = run_humaneval(HUMANEVAL["prompt"], "    return a + b\n", HUMANEVAL["test"], "add", SANDBOX, FAST)
    assert good.passed and good.metrics()["pass"] == 1.0
    bad = run_humaneval(HUMANEVAL["prompt"], "    return a * b\n", HUMANEVAL["test"], "add", SANDBOX, FAST)
    assert not bad.passed and bad.metrics()["pass"] == 0.0 and bad.status == Status.WRONG_ANSWER
    # A whole function (an instruct model's answer) keeps the prompt's helpers
    whole = run_humaneval(HUMANEVAL["prompt"], "def add(a, b):\n    return helper(a) + b\n", HUMANEVAL["test"], "add", SANDBOX, FAST)
    assert whole.passed, whole.to_dict()


@pytest.mark.parametrize("escape", ["    import sys; sys.exit(0)\n", "    import os; os._exit(0)\n", "    raise SystemExit\n"])
def test_humaneval_exiting_before_check_is_not_a_pass(escape):
    v = run_humaneval(HUMANEVAL["prompt"], escape, HUMANEVAL["test"], "add", SANDBOX, FAST)
    assert not v.passed and v.status == Status.RUNTIME_ERROR


def _lcb_row(public, private, func_name=None):
    return {"question_id": "abc100_a", "public_test_cases": json.dumps(public), "private_test_cases": encode_private_tests(private),
            "metadata": json.dumps({"func_name": func_name} if func_name else {})}


def test_score_livecodebench_rows_end_to_end():
    stdin_row = _lcb_row(STDIN_TESTS[:1], STDIN_TESTS[1:])
    answer = f"<think>maybe a - b?\n```python\n{SUB}```</think>Here it is:\n```python\n{ADD}```\n"
    v = score_livecodebench(stdin_row, answer, SANDBOX, FAST)
    assert v.passed and v.tests_total == 3 and v.code == ADD
    assert not score_livecodebench(stdin_row, f"```python\n{SUB}```", SANDBOX, FAST).passed
    assert not score_livecodebench(stdin_row, ADD, SANDBOX, FAST).passed  # no fenced block: no code, as LiveCodeBench
    func_row = _lcb_row(FUNCTIONAL_TESTS[:1], FUNCTIONAL_TESTS[1:], func_name="countEven")
    assert score_livecodebench(func_row, f"```python\n{COUNT_EVEN}```", SANDBOX, FAST).passed
    assert not score_livecodebench(func_row, f"```python\n{COUNT_ALL}```", SANDBOX, FAST).passed


def test_score_humaneval_takes_a_fenced_block_or_the_raw_completion():
    assert score_humaneval(HUMANEVAL, "```python\ndef add(a, b):\n    return a + b\n```", SANDBOX, FAST).passed
    assert score_humaneval(HUMANEVAL, "    return a + b\n", SANDBOX, FAST).passed  # a base model's raw continuation
    assert not score_humaneval(HUMANEVAL, "    return a - b\n", SANDBOX, FAST).passed


# Looks for the secret everywhere it can: its files, stdin, every frame's locals, every live container. The
# secret is computed only inside the final check, so the search does not find its own copy.
SNOOP = (
    "import gc, os, sys\nseen = [sys.stdin.read()]\n"
    "for name in os.listdir('.'):\n    seen.append(open(name, errors='replace').read())\n"
    "frame = sys._getframe()\nwhile frame:\n    seen.append(repr(frame.f_locals))\n    frame = frame.f_back\n"
    "seen.append(repr([o for o in gc.get_objects() if isinstance(o, (dict, list, tuple))]))\n"
    "print('FOUND' if str(5826401937)[::-1] in ''.join(seen) else 'clean', file=sys.stderr)\n"
)
SECRET = "7391046285"


def test_expected_outputs_never_enter_the_sandbox():
    rec = _Recording(SANDBOX)
    assert not run_stdin_tests(SNOOP, [{"input": "1\n", "output": SECRET + "\n"}], rec, FAST).passed
    assert rec.last.stderr.strip() == "clean", rec.last.stderr[-300:]
    run_stdin_tests(SNOOP, [{"input": SECRET + "\n", "output": "x"}], rec, FAST)
    assert rec.last.stderr.strip() == "FOUND"  # the control: it finds what is there
    func = "class Solution:\n    def f(self, x):\n" + "".join("        " + line + "\n" for line in SNOOP.splitlines()) + "        return 0\n"
    assert not run_functional_tests(func, "f", [{"input": "1", "output": SECRET}], rec, FAST).passed
    assert rec.last.stderr.strip() == "clean", rec.last.stderr[-300:]
    run_functional_tests(func, "f", [{"input": SECRET, "output": "0"}], rec, FAST)
    assert rec.last.stderr.strip() == "FOUND"


class _Recording:
    def __init__(self, inner: Sandbox):
        self.inner, self.last = inner, None

    def run(self, source, stdin="", limits=None):
        self.last = self.inner.run(source, stdin, limits)
        return self.last


def test_any_backend_plugs_in_through_the_protocol():
    assert isinstance(SANDBOX, Sandbox) and isinstance(_Recording(SANDBOX), Sandbox)


def test_an_empty_test_suite_is_refused():
    with pytest.raises(ValueError):
        run_stdin_tests(ADD, [], SANDBOX)
