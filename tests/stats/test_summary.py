import math

import numpy as np
import pytest
from scipy import stats as sps

from harness.stats.summary import summarise


def test_hand_computed_three_items_two_runs():
    # items × runs, 0/1 correctness
    s = [[1, 1], [1, 0], [0, 0]]
    st = summarise(s)
    assert st.n_items == 3 and st.n_runs == 2
    assert st.run_scores == pytest.approx([200 / 3, 100 / 3])
    assert st.mean == pytest.approx(50.0)
    # per-item means 100, 50, 0 → sample variance 2500 → se = sqrt(2500/3)
    assert st.se == pytest.approx(math.sqrt(2500 / 3))
    half = sps.t.ppf(0.975, 2) * math.sqrt(2500 / 3)
    assert st.ci95 == pytest.approx((50 - half, 50 + half))
    # within-item variances (ddof 1, in points²): 0, 5000, 0 → mean 5000/3
    assert st.var_within_items == pytest.approx(5000 / 3)
    # between = var(item means) − within/K = 2500 − 2500/3
    assert st.var_between_items == pytest.approx(2500 - 2500 / 3)
    assert st.within_fraction == pytest.approx((2500 / 3) / 2500)
    # run scores 66.7, 33.3 → sd 23.57 → se_runs = sd/√2
    assert st.se_runs == pytest.approx(np.std([200 / 3, 100 / 3], ddof=1) / math.sqrt(2))


def test_identical_runs_have_no_within_variance():
    st = summarise([[1, 1, 1], [0, 0, 0], [1, 1, 1], [1, 1, 1]])
    assert st.var_within_items == 0.0
    assert st.within_fraction == 0.0
    assert st.se_runs == 0.0
    assert st.mean == pytest.approx(75.0)


def test_between_variance_floors_at_zero():
    # items identical in expectation, noisy within: the estimate would go negative
    st = summarise([[1, 0], [0, 1]])
    assert st.var_between_items == 0.0
    assert st.within_fraction == 1.0


def test_rejects_empty():
    with pytest.raises(ValueError):
        summarise([])
