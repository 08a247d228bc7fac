"""The divergence classifier and the subset statistics on hand-made log-prob sequences."""

import pytest

from harness.records.schema import Response
from harness.verify.compare import (
    IDENTICAL,
    NUMERIC_TIE,
    UNEXPLAINED,
    compare_generation,
    compare_loglikelihoods,
    compare_subset,
)


def gen(tokens, tops):
    return Response(request_type="generate_until", prompt_sha256="p", text="", token_ids=tokens,
                    logprobs=[t[0][1] for t in tops], top_ids=[[i for i, _ in t] for t in tops],
                    top_logprobs=[[lp for _, lp in t] for t in tops])


SHARED = [[(5, -0.1), (6, -2.0)], [(7, -0.3), (8, -1.9)]]


def test_identical_outputs():
    a = gen([5, 7, 9], SHARED + [[(9, -0.5), (3, -1.0)]])
    assert compare_generation(a, a, 0.25).kind == IDENTICAL


def test_tie_within_epsilon_at_first_difference():
    rec = gen([5, 7, 9, 1], SHARED + [[(9, -0.70), (3, -0.75)], [(1, -0.2), (2, -3.0)]])
    new = gen([5, 7, 3, 4], SHARED + [[(3, -0.72), (9, -0.74)], [(4, -0.2), (2, -3.0)]])
    d = compare_generation(rec, new, 0.25)
    assert d.kind == NUMERIC_TIE and d.position == 2 and (d.recorded_token, d.rerun_token) == (9, 3)
    assert d.margin_recorded == pytest.approx(0.05) and d.margin_rerun == pytest.approx(0.02)


def test_clear_change_is_unexplained():
    rec = gen([5, 7, 9], SHARED + [[(9, -0.1), (3, -2.5)]])
    new = gen([5, 7, 3], SHARED + [[(3, -0.1), (9, -2.5)]])
    d = compare_generation(rec, new, 0.25)
    assert d.kind == UNEXPLAINED and d.position == 2 and "margin" in d.detail


def test_a_token_outside_the_top_two_is_unexplained_even_with_a_small_margin():
    rec = gen([5, 7, 9], SHARED + [[(9, -0.70), (3, -0.72)]])
    new = gen([5, 7, 4], SHARED + [[(4, -0.70), (9, -0.72)]])  # 4 was not in the recorded top two
    assert compare_generation(rec, new, 0.25).kind == UNEXPLAINED


def test_epsilon_is_the_threshold():
    rec = gen([5, 7, 9], SHARED + [[(9, -0.5), (3, -0.8)]])  # margin 0.3
    new = gen([5, 7, 3], SHARED + [[(3, -0.5), (9, -0.8)]])
    assert compare_generation(rec, new, 0.25).kind == UNEXPLAINED
    assert compare_generation(rec, new, 0.35).kind == NUMERIC_TIE


def test_a_prefix_output_is_unexplained():
    rec = gen([5, 7], SHARED)
    new = gen([5, 7, 9], SHARED + [[(9, -0.1), (3, -2.0)]])
    assert compare_generation(rec, new, 0.25).kind == UNEXPLAINED


def ll(values, greedy=False):
    return [Response(request_type="loglikelihood", prompt_sha256="p", continuation=f" ({c})", loglikelihood=v, is_greedy=greedy)
            for c, v in zip("ABCD", values)]


def test_loglikelihood_classes():
    rec = ll([-1.0, -2.0, -3.0, -4.0])
    assert compare_loglikelihoods(rec, ll([-1.0, -2.0, -3.0, -4.0 + 1e-5]), 1e-3, 0.25, True).kind == IDENTICAL
    assert compare_loglikelihoods(rec, ll([-1.1, -2.0, -3.0, -4.0]), 1e-3, 0.25, True).kind == NUMERIC_TIE
    assert compare_loglikelihoods(rec, ll([-1.1, -2.0, -3.0, -4.0]), 1e-3, 0.25, False).kind == UNEXPLAINED
    assert compare_loglikelihoods(rec, ll([-3.0, -2.0, -3.0, -4.0]), 1e-3, 0.25, True).kind == UNEXPLAINED


def test_subset_statistics():
    same = compare_subset([1, 0, 1, 1], [1, 0, 1, 1])
    assert same.mean_difference == 0 and same.p_value == 1.0 and same.ci95 == (0, 0)
    moved = compare_subset([1, 1, 1, 1, 0, 0], [0, 1, 0, 1, 0, 0])
    assert moved.recorded_mean == pytest.approx(400 / 6) and moved.rerun_mean == pytest.approx(200 / 6)
    assert moved.mean_difference == pytest.approx(-200 / 6)
    assert moved.ci95[0] < moved.mean_difference < moved.ci95[1] and moved.p_value < 0.5


def test_integrity_draw_and_comparison_import_no_model_stack():
    import subprocess
    import sys

    code = ("import sys, harness.verify.compare, harness.verify.integrity, harness.verify.draw, harness.verify.report; "
            "bad = [m for m in ('vllm', 'lm_eval', 'torch', 'transformers') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_the_same_output_scored_differently_is_unexplained():
    from harness.records.schema import SampleRecord
    from harness.verify.compare import compare_triple

    out = gen([5, 7], SHARED)
    rec = SampleRecord(benchmark="b", task="t", sample_id="t/0", doc_id=0, run=0, seed=1, doc_sha256="d",
                       responses=[out], metrics={"exact_match,none": 1.0})
    same = compare_triple(rec, [out], {"exact_match,none": 1.0}, "exact_match,none", 0.25, 1e-3)
    assert same["divergence"]["kind"] == IDENTICAL and same["score_identical"]
    rescored = compare_triple(rec, [out], {"exact_match,none": 0.0}, "exact_match,none", 0.25, 1e-3)
    assert rescored["divergence"]["kind"] == UNEXPLAINED and not rescored["score_identical"]
    assert "scoring did not reproduce" in rescored["divergence"]["detail"]


def test_text_that_its_token_ids_do_not_decode_to_is_named():
    from harness.records.schema import SampleRecord
    from harness.verify.diagnose import text_problems

    decode = {(1, 2, 3): "The answer is 4.\n\nQ:", (1, 2): "The answer is 4."}.__getitem__

    def rec(text, ids, finish):
        resp = Response(request_type="generate_until", prompt_sha256="p", text=text, token_ids=ids, finish_reason=finish,
                        settings={"stop": ["\n\n"]})
        return SampleRecord(benchmark="b", task="t", sample_id="t/0", doc_id=0, run=1, seed=1, doc_sha256="d", responses=[resp])

    decode_ids = lambda ids: decode(tuple(ids))  # noqa: E731
    assert text_problems("b", rec("The answer is 4.", [1, 2, 3], "stop"), decode_ids) == []  # cut at the stop string
    assert text_problems("b", rec("The answer is 4.", [1, 2], "length"), decode_ids) == []
    assert [p.field for p in text_problems("b", rec("The answer is 5.", [1, 2], "length"), decode_ids)] == ["responses.0.text"]
    assert [p.sample for p in text_problems("b", rec("The answer", [1, 2], "length"), decode_ids)] == ["t/0 run 1"]  # truncated
