"""The paired difference against scipy's paired t-test, its edge cases, and its behaviour on noise."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats as sps

from harness.stats.paired import paired_difference
from harness.stats.summary import summarise


def test_matches_scipy_paired_t_on_item_means():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2, size=(40, 5)).astype(float)
    b = rng.integers(0, 2, size=(40, 3)).astype(float)  # runs may differ in count
    r = paired_difference(a, b)
    ma, mb = a.mean(axis=1) * 100, b.mean(axis=1) * 100
    ref = sps.ttest_rel(mb, ma)
    assert r.n_items == 40
    assert r.diff == pytest.approx(mb.mean() - ma.mean())
    assert r.mean_a == pytest.approx(ma.mean()) and r.mean_b == pytest.approx(mb.mean())
    assert r.t == pytest.approx(ref.statistic) and r.p_value == pytest.approx(ref.pvalue)
    se = (mb - ma).std(ddof=1) / math.sqrt(40)
    assert r.se == pytest.approx(se)
    half = sps.t.ppf(0.975, 39) * se
    assert r.ci95 == pytest.approx((r.diff - half, r.diff + half))
    assert r.significant == (ref.pvalue < 0.05)


def test_means_agree_with_the_summary_of_each_pack():
    rng = np.random.default_rng(1)
    a, b = rng.random((30, 5)), rng.random((30, 5))
    r = paired_difference(a, b)
    assert r.mean_a == pytest.approx(summarise(a).mean) and r.mean_b == pytest.approx(summarise(b).mean)


def test_pairing_sees_a_shift_that_unpaired_error_bars_hide():
    rng = np.random.default_rng(2)
    difficulty = rng.random((200, 1))  # items differ a lot; B is A minus 3 points on every item, plus a little noise
    a = np.clip(difficulty + rng.normal(0, 0.01, (200, 5)), 0, 1)
    b = np.clip(a - 0.03 + rng.normal(0, 0.01, (200, 5)), 0, 1)
    r = paired_difference(a, b)
    sa, sb = summarise(a), summarise(b)
    assert sa.ci95[0] < sb.ci95[1]  # the two packs' own CIs overlap
    assert r.significant and r.diff < -2 and r.ci95[1] < 0


def test_identical_matrices_are_zero_and_not_significant():
    a = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 1]], dtype=float)
    r = paired_difference(a, a.copy())
    assert (r.diff, r.se, r.ci95, r.t, r.p_value, r.significant) == (0.0, 0.0, (0.0, 0.0), 0.0, 1.0, False)


def test_every_item_moving_by_the_same_amount_is_significant_without_nan():
    a = np.ones((4, 2))
    r = paired_difference(a, np.zeros((4, 2)))
    assert r.diff == -100.0 and r.se == 0.0 and r.ci95 == (-100.0, -100.0)
    assert r.t == -math.inf and r.p_value == 0.0 and r.significant
    assert json.loads(json.dumps(r.to_dict()))["t"] is None  # JSON has no infinity


def test_one_item_has_no_error_estimate():
    r = paired_difference([[1.0, 1.0]], [[0.0]])
    assert r.n_items == 1 and r.diff == -100.0
    assert r.se == math.inf and r.ci95 == (-math.inf, math.inf) and r.t == 0.0 and r.p_value == 1.0 and not r.significant
    d = r.to_dict()
    assert d["se"] is None and d["ci95"] == [None, None] and d["diff"] == -100.0
    json.dumps(d, allow_nan=False)


def test_noise_alone_is_rarely_significant():
    rng = np.random.default_rng(3)
    hits = sum(paired_difference(rng.integers(0, 2, (50, 5)), rng.integers(0, 2, (50, 5))).significant for _ in range(400))
    assert hits / 400 == pytest.approx(0.05, abs=0.035)


@pytest.mark.parametrize("a, b, message", [
    (np.ones((3, 2)), np.ones((4, 2)), "same items"),
    (np.ones((0, 2)), np.ones((0, 2)), "non-empty"),
    (np.ones(3), np.ones(3), "non-empty"),
    (np.array([[1.0, np.nan]]), np.ones((1, 2)), "non-finite"),
])
def test_bad_matrices_are_refused(a, b, message):
    with pytest.raises(ValueError, match=message):
        paired_difference(a, b)
