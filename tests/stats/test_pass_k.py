"""pass@k and pass^k against hand-computed values."""

from __future__ import annotations

import math

import pytest

from harness.stats.pass_k import mean_pass_at_k, pass_at_k, pass_hat_k


@pytest.mark.parametrize("n, c, k, expected", [
    (5, 0, 1, 0.0),
    (5, 5, 1, 1.0),
    (5, 2, 1, 2 / 5),  # pass@1 is the fraction that passed
    (5, 2, 2, 1 - 3 / 10),  # 1 - C(3,2)/C(5,2)
    (5, 4, 2, 1.0),  # fewer failures than draws: some draw passes
    (10, 3, 5, 1 - 21 / 252),  # 1 - C(7,5)/C(10,5)
    (200, 1, 100, 0.5),  # 1 - C(199,100)/C(200,100) = 1 - 100/200
    (1, 1, 1, 1.0),
])
def test_pass_at_k(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_matches_the_product_form_of_the_paper():
    for n, c, k in [(20, 7, 3), (100, 13, 10), (1000, 5, 100)]:
        product = 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))
        assert pass_at_k(n, c, k) == pytest.approx(product, rel=1e-9)


@pytest.mark.parametrize("n, c, k", [(5, 6, 1), (5, -1, 1), (5, 2, 0), (5, 2, 6)])
def test_impossible_counts_are_refused(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def test_mean_over_problems():
    runs = [[True, False, False, False, False], [True, True, False, False, False], [False] * 5]
    assert mean_pass_at_k(runs, 1) == pytest.approx((0.2 + 0.4 + 0.0) / 3)
    assert mean_pass_at_k(runs, 5) == pytest.approx(2 / 3)


@pytest.mark.parametrize("n, c, k, expected", [
    (5, 5, 5, 1.0),
    (5, 4, 5, 0.0),  # all five must pass
    (5, 3, 1, 3 / 5),  # pass^1 = pass@1
    (5, 3, 2, 3 / 10),  # C(3,2)/C(5,2)
    (4, 2, 2, 1 / 6),
])
def test_pass_hat_k(n, c, k, expected):
    assert pass_hat_k(n, c, k) == pytest.approx(expected, abs=1e-12)
    with pytest.raises(ValueError):
        pass_hat_k(n, n + 1, k)
