"""AIME 2025 and HRM8K through the run path against math-verify (`verify(parse(gold), parse(answer))`, gold
first), on our sample items (math-verify ships no data) with answers boxed, unboxed, wrapped in a thinking
trace, in equivalent forms, wrong and empty. The one deliberate difference (docs/benchmarks-catalogue.md): with
several `\\boxed{}` the harness reads the last one, as the benchmarks' graders do; math-verify reads them
together and matches none."""

from __future__ import annotations

import pytest
from math_verify import parse, verify

from harness.scorers.answers import split_thinking_raw
from tests.parity.run_path import RunPath, metrics

pytestmark = pytest.mark.slow


def answers(gold: str) -> dict[str, str]:
    wrong = "1" if gold.strip() != "1" else "2"
    return {
        "boxed": f"So the answer is $\\boxed{{{gold}}}$.",
        "thinking": f"<think>maybe {wrong}? no.</think>\n\nThe answer is $\\boxed{{{gold}}}$.",
        "unclosed_thinking": f"<think>the answer is \\boxed{{{gold}}}",
        "plain": f"The answer is {gold}.",
        "padded": f"\n\n   \\boxed{{{gold}}}   \n",
        "wrong": f"\\boxed{{{wrong}}}",
        "empty": "",
    }


@pytest.mark.parametrize("benchmark, overrides, gold_of", [
    ("aime25", ["+benchmark@suite.benchmarks.aime25=aime25"], lambda doc: str(doc["answer"])),
    ("hrm8k_ksm", [], None),
])
def test_every_answer_agrees_with_math_verify(benchmark, overrides, gold_of):
    run = RunPath(benchmark, None, overrides)
    if gold_of is None:
        from lm_eval.tasks.hrm8k.default.utils import doc_to_target as gold_of
    pairs, expected = [], []
    for sample in run.samples:
        gold = str(gold_of(sample.doc))
        for name, text in answers(gold).items():
            pairs.append((sample, text))
            answer = split_thinking_raw(text)[0]
            expected.append((sample.sample_id, name, float(bool(verify(parse(f"${gold}$"), parse(answer))))))
    records = run.score(pairs)
    got = [metrics(r)["exact_match"] for r in records]
    disagree = [(sid, name, e, g) for (sid, name, e), g in zip(expected, got, strict=True) if e != g]
    assert not disagree, disagree[:10]
    assert {e for *_, e in expected} == {0.0, 1.0}  # both outcomes occur: the comparison can fail


def test_the_last_box_is_the_answer():
    """The deliberate difference: two boxes are read as the last one (math-verify reads neither)."""
    run = RunPath("hrm8k_ksm", None)
    from lm_eval.tasks.hrm8k.default.utils import doc_to_target

    sample = run.samples[0]
    gold = str(doc_to_target(sample.doc))
    text = f"First I thought \\boxed{{{int(float(gold)) + 1}}}, but it is \\boxed{{{gold}}}."
    first = f"It is \\boxed{{{gold}}}, not \\boxed{{{int(float(gold)) + 1}}}."
    last, not_last = run.score([(sample, text), (sample, first)])
    assert metrics(last)["exact_match"] == 1.0 and metrics(not_last)["exact_match"] == 0.0
    assert not verify(parse(f"${gold}$"), parse(text))  # math-verify's reading differs
