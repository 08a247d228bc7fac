import pytest

from harness.scorers.math import math_equal


@pytest.mark.parametrize("gold, answer", [
    ("0.5", "따라서 답은 \\boxed{\\frac{1}{2}}"),
    ("\\frac{1}{2}", "The answer is $0.5$."),
    ("1/2", "\\boxed{0.5}"),
    ("55", "<think>\\boxed{3} is wrong</think> 답: \\boxed{55}"),
    ("\\frac{\\sqrt{3}}{2}", "\\boxed{\\frac{\\sqrt{3}}{2}}"),
    ("2", "\\boxed{\\sqrt{4}}"),
    ("1024", "2^{10} = \\boxed{1024}"),
    ("3/4", "\\boxed{0.75}"),
])
def test_equivalent_forms_are_correct(gold, answer):
    assert math_equal(gold, answer)


@pytest.mark.parametrize("gold, answer", [
    ("5", "\\boxed{6}"),
    ("0.5", "\\boxed{\\frac{1}{3}}"),
    ("55", "\\boxed{55}</think> oops <think>"),  # unclosed trace after: no final answer
    ("12", "I am not sure."),
    ("7", "<think>the answer is \\boxed{7}"),  # the model never left its trace
])
def test_wrong_or_missing_answers(gold, answer):
    assert not math_equal(gold, answer)
