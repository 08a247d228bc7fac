"""Judge verdicts parsed from hand-written judge outputs."""

import pytest

from harness.judge.parse import parse_equivalence, parse_hle


def test_hle_verdicts():
    yes = "extracted_final_answer: 101\nreasoning: same number.\ncorrect: yes\nconfidence: 90%"
    no = "extracted_final_answer: 103\n\nreasoning: differs.\n\n**correct**: no\nconfidence: 100"
    assert parse_hle(yes) == {"parsed": True, "correct": 1.0, "extracted_final_answer": "101", "confidence": 90.0}
    assert parse_hle(no)["correct"] == 0.0 and parse_hle(no)["parsed"] and parse_hle(no)["confidence"] == 100.0
    assert parse_hle("<think>correct: yes?</think>\ncorrect: no")["correct"] == 0.0  # the trace is not the verdict


@pytest.mark.parametrize("text", ["I think it matches.", "", "correctness unclear"])
def test_unparsable_hle_verdicts_score_zero(text):
    v = parse_hle(text)
    assert v == {"parsed": False, "correct": 0.0, "extracted_final_answer": None, "confidence": None}


def test_equivalence_verdicts():
    assert parse_equivalence("The values agree.\nCORRECT") == {"parsed": True, "correct": 1.0}
    assert parse_equivalence("Different plant.\nINCORRECT") == {"parsed": True, "correct": 0.0}
    assert parse_equivalence("incorrect") == {"parsed": True, "correct": 0.0}  # INCORRECT is not CORRECT
    assert parse_equivalence("CORRECT at first glance, but on reflection INCORRECT") == {"parsed": True, "correct": 0.0}
    assert parse_equivalence("no idea") == {"parsed": False, "correct": 0.0}
