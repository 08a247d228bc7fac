import pytest

from harness.scorers.answers import extract_choice, last_boxed, split_thinking, strip_thinking


@pytest.mark.parametrize("text, expected", [
    ("정답은 (B)입니다.", "B"),
    ("정답: C", "C"),
    ("답은 D", "D"),
    ("따라서 정답은 3번입니다.", "C"),
    ("The answer is (A).", "A"),
    ("Answer: **D**", "D"),
    ("Final answer: B", "B"),
    ("After checking each option, \\boxed{C}", "C"),
    ("I think it's (B), because the others fail.", "B"),
    ("B", "B"),
    ("(A) is tempting, but the answer is (C).", "C"),  # the statement wins over an earlier mention
])
def test_correct_letters_in_korean_and_english(text, expected):
    assert extract_choice(text, 4) == expected


@pytest.mark.parametrize("text", ["I don't know.", "잘 모르겠습니다.", "The answer is (E).", ""])
def test_no_valid_letter(text):
    assert extract_choice(text, 4) is None


def test_thinking_trace_is_stripped_before_extraction():
    text = "<think>Maybe (A)? 정답은 A 같은데... no, check again.</think>\n정답은 (C)입니다."
    assert extract_choice(text, 4) == "C"
    answer, trace = split_thinking(text)
    assert answer == "정답은 (C)입니다." and trace.startswith("<think>") and "(A)" in trace


def test_an_unclosed_trace_means_no_answer():
    assert strip_thinking("<think>The answer is (B) probably") == ""
    assert extract_choice("<think>The answer is (B) probably", 4) is None


def test_ten_options_and_wrong_answers():
    assert extract_choice("정답: J", 10) == "J"
    assert extract_choice("정답: J", 4) is None
    assert extract_choice("정답은 (B)", 4) != "A"


def test_last_boxed_handles_nesting():
    assert last_boxed("x \\boxed{1} then \\boxed{\\frac{1}{2}}") == "\\frac{1}{2}"
    assert last_boxed("no box") is None
