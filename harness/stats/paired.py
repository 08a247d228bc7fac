"""The paired difference of two score matrices over the same items: did B score higher or lower than A,
and is that beyond noise?

Both matrices are `items × runs` of per-sample metric values over the SAME items in the same order (the
runs may differ in count). Each item is first averaged over its runs, in A and in B; the unit of
sampling is the item (clustered on items, as harness.stats.summary), so the standard error comes from the
spread of the per-item differences d_i = mean_b(i) − mean_a(i):

    diff = mean(d),  se = sd(d, ddof 1) / √n,  ci95 = diff ± t(0.975, n−1) · se,
    t = diff / se,   p = two-sided p of t with n − 1 degrees of freedom (the paired t-test).

The runs enter through the per-item means (more runs, less within-item noise in each d_i). Pairing
removes the between-item variance both packs share, which is why a paired test sees changes that two
overlapping error bars hide.

Edge cases, chosen so no NaN leaks out:
- n = 1: no spread to estimate: se = inf, ci95 = (−inf, inf), t = 0, p = 1, not significant.
- every d_i equal (zero variance), n ≥ 2: se = 0 and ci95 = (diff, diff); if diff = 0 then t = 0, p = 1,
  else t = ±inf, p = 0 and significant (every item moved by exactly the same amount).
`to_dict()` writes a non-finite float as null (JSON has no infinity).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as sps

ALPHA = 0.05


@dataclass(frozen=True)
class PairedDiff:
    n_items: int
    mean_a: float  # A's mean score over the shared items, in points (× scale)
    mean_b: float
    diff: float  # mean_b − mean_a, in points
    se: float  # item-clustered standard error of diff
    ci95: tuple[float, float]
    t: float
    p_value: float  # two-sided paired t-test on the per-item differences
    significant: bool  # p_value < alpha (0.05 unless told)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ci95"] = [_finite_or_none(x) for x in self.ci95]
        for key in ("mean_a", "mean_b", "diff", "se", "t", "p_value"):
            d[key] = _finite_or_none(d[key])
        return d


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _matrix(m: np.ndarray | list, name: str) -> np.ndarray:
    s = np.asarray(m, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] < 1 or s.shape[1] < 1:
        raise ValueError(f"{name}: need a non-empty items × runs matrix, got shape {s.shape}")
    if not np.isfinite(s).all():
        raise ValueError(f"{name}: holds non-finite values (an unscored sample-run must be left out before pairing)")
    return s


def paired_difference(a: np.ndarray | list, b: np.ndarray | list, scale: float = 100.0, alpha: float = ALPHA) -> PairedDiff:
    """B − A over the same items (rows in the same order), in points (`scale` × the metric)."""
    sa, sb = _matrix(a, "a") * scale, _matrix(b, "b") * scale
    if sa.shape[0] != sb.shape[0]:
        raise ValueError(f"a has {sa.shape[0]} items and b {sb.shape[0]}: pair the same items in the same order")
    ma, mb = sa.mean(axis=1), sb.mean(axis=1)
    d = mb - ma
    n = d.size
    diff = float(d.mean())
    if n < 2:
        return PairedDiff(n, float(ma.mean()), float(mb.mean()), diff, math.inf, (-math.inf, math.inf), 0.0, 1.0, False)
    sd = float(d.std(ddof=1))
    if sd <= 1e-12 * max(1.0, abs(diff)):  # every item moved by the same amount (float noise counts as none)
        t, p = (0.0, 1.0) if diff == 0 else (math.copysign(math.inf, diff), 0.0)
        return PairedDiff(n, float(ma.mean()), float(mb.mean()), diff, 0.0, (diff, diff), t, p, p < alpha)
    se = sd / math.sqrt(n)
    half = float(sps.t.ppf(0.975, n - 1)) * se
    t = diff / se
    p = float(2 * sps.t.sf(abs(t), n - 1))
    return PairedDiff(n, float(ma.mean()), float(mb.mean()), diff, se, (diff - half, diff + half), t, p, p < alpha)
