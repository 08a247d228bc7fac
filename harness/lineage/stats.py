"""The statistics of the lineage tests. Pure numpy/scipy; nothing here reads a checkpoint.

Two kinds of null, and the docs (docs/lineage.md) say which test uses which:

* **Exact by symmetry.** Under "initialised independently", a model's residual channels are exchangeable
  (initialisation is i.i.d. and Adam, RMSNorm and the residual stream treat channels alike), so relabelling
  the candidate's channels at random leaves the joint law of (candidate, reference) unchanged, however
  similar their training data. Tests in the raw basis (`mantel`, `column_permutation`) take their null from
  such relabellings and hold on trained independent models by construction. Every statistic is centred.
* **Margins.** A test that first undoes a rotation of the residual stream cannot use that symmetry (the
  alignment absorbs it), and independently trained models do end up functionally alike after alignment.
  These tests (`unit_identity`, `heldout_alignment`, CKA) test an effect size against a stated margin above
  anything independent models reach, and are conservative under independence.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps
from scipy.optimize import linear_sum_assignment


def procrustes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The (semi-)orthogonal Q minimising ||a Q − b||: maps a's basis (columns) onto b's."""
    u, _, vt = np.linalg.svd(a.T.astype(np.float64) @ b.astype(np.float64), full_matrices=False)
    return u @ vt


def unit_rows(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n == 0, 1, n)


def correlation_normalise(m: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.clip(np.diag(m), 1e-30, None))
    return m / np.outer(d, d)


def unit_gram(units: np.ndarray, coords: np.ndarray | None = None) -> np.ndarray:
    """Σ_i û_i û_iᵀ over unit-normalised unit vectors (rows), restricted to `coords`: unchanged by permuting,
    rescaling or flipping the sign of units; rotates with the residual basis."""
    u = unit_rows(units.astype(np.float64))
    if coords is not None:
        u = u[:, coords]
    return u.T @ u


def head_projector_gram(w: np.ndarray, head_dim: int, coords: np.ndarray | None = None) -> np.ndarray:
    """Σ over heads of the projector onto each head's row space (rows = head outputs, columns = residual):
    unchanged by permuting heads and by any invertible map inside a head (V·B, B⁻¹·O)."""
    d = w.shape[1]
    n = len(coords) if coords is not None else d
    out = np.zeros((n, n))
    hd = head_dim if head_dim and w.shape[0] % head_dim == 0 else w.shape[0]
    for h in range(w.shape[0] // hd):
        q, _ = np.linalg.qr(w[h * hd : (h + 1) * hd].T.astype(np.float64))
        q = q if coords is None else q[coords]
        out += q @ q.T
    return out


def permutation_p(obs: float, null: np.ndarray) -> dict:
    """p-value of `obs` against a permutation null, from a Pearson type III curve (a shifted gamma) matched
    to the null's mean, spread and skewness: quadratic permutation statistics (Mantel) follow a skewed,
    χ²-like law when a few directions dominate, and a normal tail would then be far too small."""
    mean, sd = float(null.mean()), float(null.std()) + 1e-12
    z = (obs - mean) / sd
    skew = float(sps.skew(null)) if len(null) > 2 else 0.0
    if skew > 0.05:
        shape = 4 / skew**2
        p = float(sps.gamma.sf(obs, shape, loc=mean - 2 * sd / skew, scale=sd * skew / 2))
    else:
        p = float(sps.norm.sf(z))
    return {"null_mean": mean, "null_sd": sd, "null_skew": skew, "z": float(z), "p": p}


def deflate(c: np.ndarray) -> np.ndarray:
    """A correlation matrix less its dominant directions (eigenvalues above 5× the mean, e.g. a direction
    every row shares): under independence they make the Mantel statistic χ²-like and weak."""
    w, v = np.linalg.eigh(c)
    big = w > 5 * max(float(w.mean()), 1e-12)
    return c - (v[:, big] * w[big]) @ v[:, big].T if big.any() else c


def _off_diagonal(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(n, 1)


def mantel(cand: dict[str, np.ndarray], ref: dict[str, np.ndarray], where: np.ndarray, n_perm: int, seed: int,
           deflated: bool = False) -> dict | None:
    """Mantel test of centred correlation between the candidate's and the reference's correlation-normalised
    Grams (one per kind: gate, up, down, q, k, v, o…), averaged over the kinds both have.

    `ref[t]` is s×s over the reference's coordinate subset S; `cand[t]` is p×p over a pool of the
    candidate's channels that contains S, at positions `where` (observed: channel c of S is channel c). The
    null relabels the candidate's channels: S is sent to a random ordered subset of the pool."""
    kinds = [t for t in ref if t in cand]
    if not kinds:
        return None
    if not deflated:  # callers comparing one candidate layer with many reference layers deflate it once
        cand = {t: deflate(cand[t]) for t in kinds}
    s = len(where)
    iu = _off_diagonal(s)
    refs = []
    for t in kinds:
        r = deflate(ref[t])[iu]
        sd = r.std()
        if sd == 0:
            return None
        refs.append((r - r.mean()) / sd)
    rng = np.random.default_rng(seed)

    pool = next(iter(cand.values())).shape[0]
    flat = [np.ascontiguousarray(cand[t], dtype=np.float32).ravel() for t in kinds]
    refs = [r.astype(np.float32) for r in refs]

    def stat(idx: np.ndarray) -> float:
        total = 0.0
        at = idx[iu[0]] * pool + idx[iu[1]]  # the relabelled pairs, as flat positions
        for f, r in zip(flat, refs):
            c = f.take(at)
            sd = float(c.std())
            total += 0.0 if sd == 0 else float(np.dot(c, r)) / (sd * len(r))  # r is centred: no need to centre c
        return total / len(kinds)

    obs = stat(where)
    null = np.array([stat(rng.choice(pool, size=s, replace=False)) for _ in range(n_perm)])
    return {"r": obs, **permutation_p(obs, null), "n_perm": n_perm, "kinds": kinds}


def elements(cand: dict[str, np.ndarray], ref: dict[str, np.ndarray], where: np.ndarray, n_perm: int, seed: int) -> dict | None:
    """Centred correlation of the same units' weights (rows: units at the same index, columns: residual
    channels), averaged over the kinds both have, against the candidate's channels relabelled within a pool
    that contains the reference's coordinates. Sees what second-order tests cannot: a small share of the
    reference mixed into other weights (a merge), with units in place."""
    kinds = [t for t in ref if t in cand and cand[t].shape[0] == ref[t].shape[0]]
    if not kinds:
        return None
    parts = []  # per kind: cᵀr̃ (pool × s), column sums and sums of squares: each relabelling costs O(s)
    for t in kinds:
        r = ref[t].astype(np.float64) - ref[t].mean()
        if not r.any():
            return None
        c = cand[t].astype(np.float64)
        parts.append((c.T @ (r / np.linalg.norm(r)), c.sum(axis=0), (c * c).sum(axis=0), c.shape[0]))
    rng = np.random.default_rng(seed)
    cols = np.arange(len(where))

    def stat(idx: np.ndarray) -> float:
        total = 0.0
        for cross, csum, csq, n in parts:
            ss = csq[idx].sum() - csum[idx].sum() ** 2 / (n * len(idx))  # centred sum of squares
            total += 0.0 if ss <= 0 else float(cross[idx, cols].sum() / np.sqrt(ss))
        return total / len(kinds)

    pool = next(iter(cand.values())).shape[1]
    obs = stat(where)
    null = np.array([stat(rng.choice(pool, size=len(where), replace=False)) for _ in range(n_perm)])
    return {"r": obs, **permutation_p(obs, null), "n_perm": n_perm, "kinds": kinds}


def column_permutation(a: np.ndarray, b: np.ndarray, n_perm: int, seed: int) -> dict | None:
    """Centred correlation of two row-aligned matrices (rows: shared tokens, columns: residual channels),
    against relabelled candidate columns. The null keeps whatever every trained model shares (a common mean
    direction, frequency structure) and so has the right spread: far wider than 1/√(elements)."""
    if a.shape != b.shape or a.size < 16:
        return None
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return None
    rng = np.random.default_rng(seed)
    cross = (a.T.astype(np.float64) @ b) / (na * nb)  # Σᵢ a[i, π(j)] b[i, j] = Σⱼ cross[π(j), j]
    cols = np.arange(a.shape[1])
    obs = float(np.trace(cross))
    null = np.array([cross[rng.permutation(a.shape[1]), cols].sum() for _ in range(n_perm)])
    return {"r": obs, **permutation_p(obs, null), "n_perm": n_perm}


def _match(c: np.ndarray, r: np.ndarray) -> np.ndarray:
    """For each reference unit (row of r), the candidate unit (row of c) assigned to it, by absolute cosine."""
    sim = np.abs(unit_rows(r) @ unit_rows(c).T)
    rows, cols = linear_sum_assignment(-sim)
    out = np.full(r.shape[0], -1, dtype=np.int64)
    out[rows] = cols
    return out


def unit_identity(cand: list[np.ndarray], ref: list[np.ndarray], margin: float) -> dict | None:
    """Do hidden units keep their identity? Each view (gate rows, up rows, down columns, in one aligned
    basis) matches the reference's sampled units to the candidate's by absolute cosine (so sign flips and
    rescaling do not matter). A unit *agrees* when at least two views pick the same candidate unit.

    Without shared identity, views pick independently: a unit agrees with probability ≤ (#view pairs)/m.
    Independently trained models share a few convergent units, so the decisive p-value tests the agreement
    rate against max(margin, chance); the chance-level p-value is reported beside it."""
    if len(cand) < 2 or len(cand) != len(ref):
        return None
    m, n = cand[0].shape[0], ref[0].shape[0]
    if n > m:  # match the smaller side into the larger
        cand, ref = ref, cand
        m, n = n, m
    if n < 8:
        return None
    picks = [_match(c, r) for c, r in zip(cand, ref)]
    agree = np.zeros(n, dtype=bool)
    for i in range(len(picks)):
        for j in range(i + 1, len(picks)):
            agree |= (picks[i] == picks[j]) & (picks[i] >= 0)
    a = int(agree.sum())
    pairs = len(picks) * (len(picks) - 1) // 2
    chance = min(1.0, pairs / m)
    rate = max(margin, chance)
    return {"agreement": a / n, "agreeing_units": a, "n": n, "m": m, "chance_rate": chance, "margin": rate,
            "p": float(sps.binom.sf(a - 1, n, rate)), "p_chance": float(sps.binom.sf(a - 1, n, chance))}


def heldout_alignment(a: np.ndarray, b: np.ndarray, seed: int, margin: float) -> dict | None:
    """Fit an orthogonal map on half of the shared anchors (rows), measure each held-out row's cosine with
    its counterpart, and test the mean against `margin` (one-sided t). Returns Q fitted on all anchors."""
    if a.shape[0] < 16:
        return None
    rng = np.random.default_rng(seed)
    idx = rng.permutation(a.shape[0])
    fit, hold = idx[: len(idx) // 2], idx[len(idx) // 2 :]
    mu_a, mu_b = a[fit].mean(axis=0), b[fit].mean(axis=0)
    q = procrustes(a[fit] - mu_a, b[fit] - mu_b)
    cos = np.sum(unit_rows((a[hold] - mu_a) @ q) * unit_rows(b[hold] - mu_b), axis=1)
    mean, se = float(cos.mean()), float(cos.std(ddof=1) / math.sqrt(len(cos)) + 1e-12)
    return {"cosine": mean, "se": se, "margin": margin, "z": (mean - margin) / se, "p": float(sps.norm.sf((mean - margin) / se)),
            "z_chance": mean / se, "n_anchor": int(a.shape[0]), "q": procrustes(a - a.mean(axis=0), b - b.mean(axis=0))}


def joint_alignment(cand: list[np.ndarray], ref: list[np.ndarray], iters: int = 30) -> tuple[np.ndarray, float]:
    """The rotation Q (v_ref ≈ v_cand Q) that best maps a set of symmetric residual-space matrices onto
    each other (B ≈ QᵀAQ), without anchors: eigenvectors of their sum give Q up to signs, the signs come
    from the cross terms of all matrices, then ascent on Σ tr(QᵀAQB). Returns Q and the fit (correlation
    of the aligned matrices' entries, 1 for an exact rotation)."""
    a = [x / (np.linalg.norm(x) or 1) for x in cand]
    b = [x / (np.linalg.norm(x) or 1) for x in ref]
    _, va = np.linalg.eigh(sum(a))
    _, vb = np.linalg.eigh(sum(b))
    w = sum((va.T @ x @ va) * (vb.T @ y @ vb) for x, y in zip(a, b))
    np.fill_diagonal(w, 0)
    s = np.sign(np.linalg.eigh(w)[1][:, -1])
    s[s == 0] = 1
    for _ in range(5 * len(s)):  # greedy sign flips until none helps
        gain = s * (w @ s)
        if gain.min() >= 0:
            break
        s[np.argmin(gain)] *= -1
    q = va @ np.diag(s) @ vb.T

    def objective(q: np.ndarray) -> float:
        return sum(float(np.sum((q.T @ x @ q) * y)) for x, y in zip(a, b))

    best = objective(q)
    for _ in range(iters):
        u, _, vt = np.linalg.svd(sum(x @ q @ y for x, y in zip(a, b)))
        nq = u @ vt
        val = objective(nq)
        if val <= best * (1 + 1e-7):
            break
        q, best = nq, val
    n = sx = sy = sxx = syy = sxy = 0.0  # Pearson correlation of all entries, one matrix at a time (memory)
    for x, y in zip(a, b):
        x = q.T @ x @ q
        n, sx, sy = n + x.size, sx + x.sum(), sy + y.sum()
        sxx, syy, sxy = sxx + float(np.sum(x * x)), syy + float(np.sum(y * y)), sxy + float(np.sum(x * y))
    cov, vx, vy = sxy - sx * sy / n, sxx - sx * sx / n, syy - sy * sy / n
    return q, float(cov / np.sqrt(max(vx * vy, 1e-300)))


def unbiased_hsic(x: np.ndarray, y: np.ndarray) -> float:
    """Song et al. (2012)'s unbiased HSIC of the linear kernels K = XXᵀ, L = YYᵀ (diagonals zeroed),
    computed from the features in O(n·d²) instead of from n×n Gram matrices."""
    n = x.shape[0]
    kd, ld = np.sum(x * x, axis=1), np.sum(y * y, axis=1)  # diagonals of K and L
    tr = float(np.sum((x.T @ y) ** 2) - kd @ ld)  # tr(K̃ L̃)
    k1, l1 = x @ x.sum(axis=0) - kd, y @ y.sum(axis=0) - ld  # K̃1, L̃1
    term = tr + k1.sum() * l1.sum() / ((n - 1) * (n - 2)) - 2 / (n - 2) * float(k1 @ l1)
    return term / (n * (n - 3))


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Debiased linear CKA of two representations of the same n inputs (rows): rotation-invariant."""
    x, y = x.astype(np.float64), y.astype(np.float64)
    denom = math.sqrt(max(unbiased_hsic(x, x), 1e-30) * max(unbiased_hsic(y, y), 1e-30))
    return unbiased_hsic(x, y) / denom


def cka_margin_test(x: np.ndarray, y: np.ndarray, margin: float, groups: np.ndarray, seed: int, n_boot: int = 100) -> dict:
    """Linear CKA with a bootstrap over texts (`groups`: the text each row came from), tested against
    `margin`: models trained independently on similar data reach high CKA too (REEF), so only a CKA
    significantly above a margin counts."""
    value = linear_cka(x, y)
    rng = np.random.default_rng(seed)
    texts = np.unique(groups)
    boots = []
    for _ in range(n_boot):
        pick = rng.choice(texts, size=len(texts), replace=True)
        rows = np.concatenate([np.flatnonzero(groups == t) for t in pick])
        boots.append(linear_cka(x[rows], y[rows]))
    se = float(np.std(boots)) + 1e-12
    return {"cka": value, "se": se, "margin": margin, "z": (value - margin) / se, "p": float(sps.norm.sf((value - margin) / se))}


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
