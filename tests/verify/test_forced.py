"""Teacher-forced checks (pure): recorded log-probs against the model's, and whether the recorded settings
could have produced each token."""

from __future__ import annotations

import math

from harness.engines.base import ForcedResult
from harness.records.schema import Response
from harness.verify.forced import check_forced
from harness.verify.tolerance import tolerance


def _resp(lps, **settings):
    return Response(request_type="generate_until", prompt_sha256="0" * 64, text="x", token_ids=[5, 6, 7][: len(lps)], logprobs=lps,
                    settings={"temperature": 1.0, "top_p": 1.0, "top_k": -1, **settings})


def _forced(lps, ranks, tops):
    return ForcedResult(lps, ranks, [[1, 2, 3]] * len(lps), tops)


TOPS = [[-0.1, -2.5, -3.0]] * 3


def test_the_models_own_output_is_consistent():
    check = check_forced(_resp([-0.1, -0.1, -0.1]), _forced([-0.1, -0.1, -0.1000004], [1, 1, 1], TOPS), 0.01, 0.01)
    assert check.consistent and check.max_delta < 1e-6


def test_a_log_prob_beyond_tolerance_is_named_by_position():
    check = check_forced(_resp([-0.1, -0.1, -0.1]), _forced([-0.1, -0.1, -0.4], [1, 1, 1], TOPS), 0.01, 0.01)
    assert not check.consistent and check.position == 2 and "recorded log-prob" in check.detail


def test_greedy_needs_the_argmax_and_top_k_the_k_best():
    forced = _forced([-0.1, -2.5, -0.1], [1, 2, 1], TOPS)
    greedy = check_forced(_resp([-0.1, -2.5, -0.1], temperature=0.0), forced, 0.01, 0.25)
    assert not greedy.consistent and greedy.position == 1 and "greedy" in greedy.detail
    assert check_forced(_resp([-0.1, -2.5, -0.1], temperature=0.0), forced, 0.01, 2.5).consistent  # a tie within ε
    assert not check_forced(_resp([-0.1, -2.5, -0.1], top_k=1), forced, 0.01, 0.01).consistent
    assert check_forced(_resp([-0.1, -2.5, -0.1], top_k=2), forced, 0.01, 0.01).consistent


def test_top_p_needs_the_token_inside_the_nucleus():
    above = math.exp(-0.1)  # 0.905 of the probability sits on the argmax
    forced = _forced([-0.1, -2.5, -0.1], [1, 2, 1], TOPS)
    assert not check_forced(_resp([-0.1, -2.5, -0.1], top_p=0.9), forced, 0.01, 0.0).consistent  # 0.905 ≥ 0.9
    assert check_forced(_resp([-0.1, -2.5, -0.1], top_p=0.95), forced, 0.01, 0.0).consistent
    assert above > 0.9


def test_tolerance_is_exact_on_the_runs_setup_and_from_the_dtype_elsewhere():
    same = tolerance([], "torch.bfloat16")
    assert same.exact and same.epsilon == 0.0 and same.ll_tolerance == 0.0 and same.forced == 0.5
    other = tolerance(["gpus: run H100, verification H200"], "bfloat16")
    assert not other.exact and other.epsilon == 0.25 and "bfloat16" in other.reason
    assert tolerance(["cpu: a, verification b"], "float32").epsilon == 1e-3
    assert tolerance(["x"], "auto").epsilon == 0.25 and "unknown" in tolerance(["x"], None).reason
    assert tolerance([], "bf16", epsilon=0.5).epsilon == 0.5


def test_a_token_outside_the_vocabulary_is_named_not_fed_to_the_model():
    from harness.engines.base import pad_out_of_vocab, split_in_vocab

    assert split_in_vocab([3, 7, 512, 4], 512) == 2 and split_in_vocab([3, -1], 512) == 1 and split_in_vocab([1, 2], 512) == 2
    forced = pad_out_of_vocab(_forced([-0.1, -0.1], [1, 1], TOPS[:2]), 3)
    check = check_forced(_resp([-0.1, -0.1, -0.1]), forced, 0.01, 0.01)
    assert not check.consistent and check.position == 2 and "vocabulary" in check.detail and math.isfinite(check.max_delta)
