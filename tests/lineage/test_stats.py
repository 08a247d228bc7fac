"""The statistics on hand-made inputs."""

import numpy as np
import pytest

from harness.lineage import stats


def test_norm_gains_near_one_cosine_high_centred_correlation_zero():
    rng = np.random.default_rng(0)
    a, b = 1 + 0.01 * rng.standard_normal(4096), 1 + 0.01 * rng.standard_normal(4096)
    cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    assert cosine > 0.99  # the misleading number
    res = stats.correlation_test(a, b)
    assert abs(res["r"]) < 0.05 and res["p"] > 1e-3  # the honest one
    assert stats.correlation_test(np.ones(100), np.ones(100)) is None  # constants carry no signal


def test_holm_matches_hand_computation():
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_procrustes_recovers_a_rotation():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((200, 16)).astype(np.float32)
    q, _ = np.linalg.qr(rng.standard_normal((16, 16)))
    assert np.allclose(stats.procrustes(a, a @ q), q, atol=1e-4)


def test_mlp_matching_same_units_vs_unrelated():
    rng = np.random.default_rng(2)
    g, u = rng.standard_normal((64, 32)), rng.standard_normal((64, 32))
    perm = rng.permutation(64)
    same = stats.mlp_match_test(g[perm] * 2.0, u[perm] * 0.5, g, u, 64, 0)
    assert same["rho"] == pytest.approx(1.0) and same["agreement"] == 1.0 and same["p"] < 1e-12
    other = stats.mlp_match_test(rng.standard_normal((64, 32)), rng.standard_normal((64, 32)), g, u, 64, 0)
    assert abs(other["rho"]) < 0.4 and other["p"] > 1e-4


def test_unbiased_cka():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((60, 20))
    k = x @ x.T
    q, _ = np.linalg.qr(rng.standard_normal((20, 20)))
    assert stats.unbiased_cka(k, (x @ q) @ (x @ q).T) == pytest.approx(1.0, abs=1e-6)  # invariant to rotations
    y = rng.standard_normal((60, 20))
    assert abs(stats.unbiased_cka(k, y @ y.T)) < 0.2
    res = stats.cka_test(k, k, 0, 50)
    assert res["z"] > 5
