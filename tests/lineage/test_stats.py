"""The statistics on hand-made inputs: what each is invariant to, and what its null looks like."""

import numpy as np
import pytest

from harness.lineage import stats


def test_norm_gains_near_one_cosine_high_centred_statistic_null():
    rng = np.random.default_rng(0)
    a, b = 1 + 0.01 * rng.standard_normal((64, 64)), 1 + 0.01 * rng.standard_normal((64, 64))
    cosine = a.ravel() @ b.ravel() / (np.linalg.norm(a) * np.linalg.norm(b))
    assert cosine > 0.99  # the misleading number
    res = stats.column_permutation(a, b, 200, 0)
    assert abs(res["r"]) < 0.05 and res["p"] > 1e-3  # the honest one
    assert stats.column_permutation(np.ones((64, 8)), np.ones((64, 8)), 10, 0) is None  # constants carry no signal


def test_a_shared_mean_direction_widens_the_column_null():
    """The lm_head false alarm: every trained model's rows share a direction. The relabelled-channel null
    keeps it, so its spread is far wider than 1/sqrt(elements) and the p-value stays honest."""
    rng = np.random.default_rng(1)
    n, d = 512, 64
    freq = rng.standard_normal(n)[:, None]
    a = freq * rng.standard_normal(d) + 0.3 * rng.standard_normal((n, d))
    b = freq * rng.standard_normal(d) + 0.3 * rng.standard_normal((n, d))
    res = stats.column_permutation(a, b, 300, 0)
    assert res["null_sd"] > 5 / np.sqrt(a.size)
    assert res["p"] > 1e-3
    copy = stats.column_permutation(b + 0.5 * rng.standard_normal((n, d)), b, 300, 0)
    assert copy["p"] < 1e-12


def test_holm_matches_hand_computation():
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_procrustes_recovers_a_rotation():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((200, 16))
    q, _ = np.linalg.qr(rng.standard_normal((16, 16)))
    assert np.allclose(stats.procrustes(a, a @ q), q, atol=1e-6)


def _mlp(rng, ff=96, d=32):
    return rng.standard_normal((ff, d)), rng.standard_normal((ff, d)), rng.standard_normal((ff, d))


def test_unit_grams_ignore_unit_permutation_scale_and_sign():
    rng = np.random.default_rng(2)
    g, _, _ = _mlp(rng)
    perm, c = rng.permutation(96), rng.uniform(0.5, 2, 96) * rng.choice([-1, 1], 96)
    assert np.allclose(stats.unit_gram(g), stats.unit_gram(g[perm] * c[:, None]))
    w = rng.standard_normal((4 * 8, 32))  # 4 heads of 8 dims; an invertible map inside each head changes nothing
    mixed = np.concatenate([rng.standard_normal((8, 8)) @ w[h * 8 : (h + 1) * 8] for h in (2, 0, 3, 1)])
    assert np.allclose(stats.head_projector_gram(w, 8), stats.head_projector_gram(mixed, 8), atol=1e-8)


def test_mantel_null_relabels_channels_and_finds_the_same_structure():
    rng = np.random.default_rng(3)
    g = rng.standard_normal((96, 32)) @ np.diag(rng.uniform(0.2, 3, 32))
    ref = {"gate": stats.correlation_normalise(stats.unit_gram(g))}
    where = np.arange(32)
    same = stats.mantel({"gate": stats.correlation_normalise(stats.unit_gram(g[rng.permutation(96)] * 3))}, ref, where, 200, 0)
    assert same["r"] > 0.99 and same["p"] < 1e-12
    other = rng.standard_normal((96, 32)) @ np.diag(rng.uniform(0.2, 3, 32))
    res = stats.mantel({"gate": stats.correlation_normalise(stats.unit_gram(other))}, ref, where, 200, 0)
    assert res["p"] > 1e-3


def test_unit_identity_survives_permutation_sign_and_scale_not_independence():
    rng = np.random.default_rng(4)
    g, u, dn = _mlp(rng)
    perm, c = rng.permutation(96), rng.uniform(0.5, 2, 96) * rng.choice([-1, 1], 96)
    same = stats.unit_identity([g[perm], u[perm] * c[:, None], dn[perm] / c[:, None]], [g[:40], u[:40], dn[:40]], 0.1)
    assert same["agreement"] == 1.0 and same["p"] < 1e-30
    g2, u2, d2 = _mlp(rng)
    other = stats.unit_identity([g2, u2, d2], [g[:40], u[:40], dn[:40]], 0.1)
    assert other["agreement"] < 0.1 and other["p"] > 0.05


def test_joint_alignment_recovers_a_rotation_without_anchors():
    rng = np.random.default_rng(5)
    d = 24
    mats = [stats.unit_gram(rng.standard_normal((60, d)) @ np.diag(rng.uniform(0.3, 3, d))) for _ in range(4)]
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    rotated = [q @ m @ q.T for m in mats]  # vectors v ↦ v qᵀ in the candidate
    found, fit = stats.joint_alignment(rotated, mats)
    # Grams are quadratic: Q and −Q fit alike, and the unit test's absolute cosines do not mind which
    assert fit > 0.999 and min(np.abs(found - q).max(), np.abs(found + q).max()) < 1e-5


def test_heldout_alignment_tests_against_a_margin():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((400, 16))
    q, _ = np.linalg.qr(rng.standard_normal((16, 16)))
    copy = stats.heldout_alignment(a @ q + 0.1 * rng.standard_normal((400, 16)), a, 0, 0.7)
    assert copy["cosine"] > 0.95 and copy["p"] < 1e-30
    alike = stats.heldout_alignment(a @ q + 1.5 * rng.standard_normal((400, 16)), a, 0, 0.7)  # related, not copied
    assert alike["z_chance"] > 5 and alike["p"] > 0.5


def test_cka_is_rotation_invariant():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((60, 20))
    q, _ = np.linalg.qr(rng.standard_normal((20, 20)))
    assert stats.linear_cka(x, x @ q) == pytest.approx(1.0, abs=1e-6)
    assert abs(stats.linear_cka(x, rng.standard_normal((60, 20)))) < 0.2
