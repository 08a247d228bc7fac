"""The statistics of the lineage tests. Pure numpy/scipy; every statistic is centred (never a raw cosine).

Why centred: two unrelated RMSNorm gain vectors both near 1 have cosine ≈ 0.99 and centred correlation ≈ 0;
an uncentred similarity measures the shared offset, not shared lineage.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps
from scipy.optimize import linear_sum_assignment


def procrustes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The (semi-)orthogonal Q minimising ||a Q − b||: maps a's residual basis onto b's."""
    u, _, vt = np.linalg.svd(a.T @ b, full_matrices=False)
    return (u @ vt).astype(np.float32)


def _centre_rows(x: np.ndarray) -> np.ndarray:
    x = x - x.mean(axis=1, keepdims=True)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n == 0, 1, n)


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    x, y = np.asarray(x, np.float64).ravel(), np.asarray(y, np.float64).ravel()
    if x.size < 4 or x.std() == 0 or y.std() == 0:
        return None  # a constant tensor (e.g. untrained norm gains) carries no lineage signal
    return float(np.corrcoef(x, y)[0, 1])


def correlation_test(x: np.ndarray, y: np.ndarray) -> dict | None:
    """Centred correlation of two same-shaped tensors (element samples); one-sided p from Fisher's z."""
    r = pearson(x, y)
    if r is None:
        return None
    n = min(x.size, y.size)
    r_ = min(max(r, -0.999999), 0.999999)
    z = math.atanh(r_) * math.sqrt(n - 3)
    half = 1.96 / math.sqrt(n - 3)
    return {"r": r, "z": z, "p": float(sps.norm.sf(z)), "ci95": [math.tanh(math.atanh(r_) - half), math.tanh(math.atanh(r_) + half)], "n": n}


def alignment_test(a: np.ndarray, b: np.ndarray, seed: int, n_perm: int = 200) -> dict:
    """Fit the alignment on half of the shared anchors, measure it on the other half, against a null of
    held-out rows paired at random. Returns Q fitted on all anchors too."""
    rng = np.random.default_rng(seed)
    idx = rng.permutation(a.shape[0])
    fit, hold = idx[: len(idx) // 2], idx[len(idx) // 2 :]
    q = procrustes(a[fit], b[fit])
    pred = (a[hold] @ q).astype(np.float64)
    pred -= pred.mean()
    tgt = b[hold].astype(np.float64) - b[hold].mean()
    scale = np.linalg.norm(pred) * np.linalg.norm(tgt) or 1.0
    r = float(np.sum(pred * tgt) / scale)
    # the null pairs held-out rows at random; row sums of the elementwise product make each draw cheap
    null = np.array([np.sum(pred * tgt[rng.permutation(len(hold))]) / scale for _ in range(n_perm)])
    z = (r - null.mean()) / (null.std() + 1e-12)
    return {"r_holdout": r, "null_mean": float(null.mean()), "null_sd": float(null.std()), "z": float(z), "p": float(sps.norm.sf(z)),
            "q": procrustes(a, b), "n_anchor": int(a.shape[0])}


def _match(c: np.ndarray, r: np.ndarray) -> np.ndarray:
    sim = _centre_rows(c) @ _centre_rows(r).T
    rows, cols = linear_sum_assignment(-sim)
    out = np.empty(len(c), dtype=np.int64)
    out[rows] = cols
    return out


def mlp_match_test(cg: np.ndarray, cu: np.ndarray, rg: np.ndarray, ru: np.ndarray, n_units: int, seed: int) -> dict:
    """Zhu et al. (2025)'s unit-matching idea: match the candidate's hidden units to the reference's once by
    their gate rows and once by their up rows (assignment over centred similarities). Under independence
    the two matchings are unrelated (Spearman ρ ≈ 0, z = ρ·√(n−1) ~ N(0,1)); a derived model's units keep
    their identity through permutation, rescaling and noise, so both matchings agree (ρ → 1)."""
    n = min(n_units, cg.shape[0], rg.shape[0])
    sub = np.sort(np.random.default_rng(seed).choice(cg.shape[0], size=n, replace=False))
    pg, pu = _match(cg[sub], rg), _match(cu[sub], ru)
    rho = float(sps.spearmanr(pg, pu).statistic) if n > 2 and len(set(pg)) > 1 else 0.0
    rho = 0.0 if math.isnan(rho) else rho
    z = rho * math.sqrt(max(n - 1, 1))
    r_ = min(max(rho, -0.999999), 0.999999)
    half = 1.96 / math.sqrt(max(n - 3, 1))
    return {"rho": rho, "agreement": float(np.mean(pg == pu)), "n": n, "z": z, "p": float(sps.norm.sf(z)),
            "ci95": [math.tanh(math.atanh(r_) - half), math.tanh(math.atanh(r_) + half)]}


def unbiased_hsic(k: np.ndarray, l: np.ndarray) -> float:
    """Song et al. (2012)'s unbiased HSIC estimator (diagonals zeroed)."""
    n = k.shape[0]
    k, l = k.copy(), l.copy()
    np.fill_diagonal(k, 0)
    np.fill_diagonal(l, 0)
    one = np.ones(n)
    term = np.sum(k * l) + (one @ k @ one) * (one @ l @ one) / ((n - 1) * (n - 2)) - 2 / (n - 2) * (one @ k @ l @ one)
    return float(term / (n * (n - 3)))


def unbiased_cka(k: np.ndarray, l: np.ndarray) -> float:
    denom = math.sqrt(max(unbiased_hsic(k, k), 1e-30) * max(unbiased_hsic(l, l), 1e-30))
    return unbiased_hsic(k, l) / denom


def cka_test(kc: np.ndarray, kr: np.ndarray, seed: int, n_perm: int = 100) -> dict:
    """Unbiased linear CKA between two Gram matrices over the same (aligned) residual coordinates, against
    a null of coordinates paired at random."""
    kc, kr = kc.astype(np.float64), kr.astype(np.float64)
    value = unbiased_cka(kc, kr)
    rng = np.random.default_rng(seed)
    null = []
    for _ in range(n_perm):
        p = rng.permutation(kr.shape[0])
        null.append(unbiased_cka(kc, kr[np.ix_(p, p)]))
    null = np.array(null)
    z = (value - null.mean()) / (null.std() + 1e-12)
    return {"cka": value, "null_mean": float(null.mean()), "null_sd": float(null.std()), "z": float(z), "p": float(sps.norm.sf(z))}


def holm(pvalues: list[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (monotone, capped at 1)."""
    m = len(pvalues)
    order = np.argsort(pvalues)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted.tolist()
