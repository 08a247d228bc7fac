"""The program inside a model's answer."""

from __future__ import annotations

import pytest

from harness.sandbox.code_extraction import extract_code, strip_thinking

FENCE = "```"


@pytest.mark.parametrize("answer, code", [
    # the last python block wins; blocks inside the thinking trace do not count
    (f"<think>{FENCE}python\nprint(0)\n{FENCE}</think>Try:\n{FENCE}python\nprint(1)\n{FENCE}\nbetter:\n{FENCE}python\nprint(2)\n{FENCE}\n", "print(2)\n"),
    (f"{FENCE}py\nx = 1\n{FENCE}", "x = 1\n"),
    (f"{FENCE}Python3\nx = 3\n{FENCE}", "x = 3\n"),
    # a python block beats a later block of another language or an untagged one
    (f"{FENCE}python\nprint(1)\n{FENCE}\nOutput:\n{FENCE}text\n1\n{FENCE}\n{FENCE}\n1\n{FENCE}", "print(1)\n"),
    # untagged blocks when there is no python one
    (f"{FENCE}\nprint(4)\n{FENCE}", "print(4)\n"),
    # an answer cut by the token limit keeps its code
    (f"Here:\n{FENCE}python\ndef f():\n    return 1", "def f():\n    return 1"),
    # a closing fence glued to the last line
    (f"{FENCE}python\nprint(5){FENCE}", "print(5)"),
    # code of another language only: nothing to run
    (f"{FENCE}cpp\nint main() {{}}\n{FENCE}", ""),
    # a raw completion (HumanEval, base models) keeps its indentation
    ("    return a + b\n", "    return a + b\n"),
    ("\n\n    return a + b\n", "    return a + b\n"),
    # an unclosed thinking trace: the model never answered
    (f"<think>{FENCE}python\nprint(1)\n{FENCE}", ""),
    (f"<THINK>x</THINK>\n{FENCE}python\nprint(6)\n{FENCE}", "print(6)\n"),
])
def test_extract_code(answer, code):
    assert extract_code(answer) == code


def test_livecodebench_takes_nothing_without_a_block():
    assert extract_code("print(1)", whole_answer_if_no_block=False) == ""
    assert extract_code("print(1)") == "print(1)"


def test_strip_thinking_keeps_what_follows_the_last_trace():
    assert strip_thinking("<think>a</think>b<think>c</think>\n  d") == "  d"
    assert strip_thinking("no trace") == "no trace"
