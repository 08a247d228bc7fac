"""Mean, error bars and the split of variance for one benchmark's item × run score matrix.

Following Miller (2024), "Adding Error Bars to Evals": the unit of sampling is the item, so the standard
error comes from the spread of per-item means (each averaged over the K runs), and the variance of a score
splits into the part between items, Var(E[s|i]), and the part within items across runs, E[Var(s|i)]:

    Var(mean) = (Var(E[s|i]) + E[Var(s|i)] / K) / n

Resampling the same items K times shrinks only the second term; that is what the five runs buy.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as sps


@dataclass(frozen=True)
class BenchmarkStats:
    n_items: int
    n_runs: int
    run_scores: list[float]  # one per run, in score units (× scale)
    mean: float
    se: float  # item-clustered standard error of the mean
    ci95: tuple[float, float]  # mean ± t(0.975, n−1) · se
    se_runs: float  # standard error of the mean of the run scores (run-to-run spread)
    var_between_items: float  # Var(E[s|i]), in squared score units
    var_within_items: float  # E[Var(s|i)] across runs, in squared score units
    within_fraction: float  # share of Var(mean) that comes from within-item (sampling) noise

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ci95"] = list(self.ci95)
        return d


def summarise(scores: np.ndarray | list[list[float]], scale: float = 100.0) -> BenchmarkStats:
    """Summarise a matrix `scores[item, run]` of per-sample metric values (e.g. 0/1 correctness)."""
    s = np.asarray(scores, dtype=np.float64) * scale
    if s.ndim != 2 or s.shape[0] < 1 or s.shape[1] < 1:
        raise ValueError(f"need a non-empty items × runs matrix, got shape {s.shape}")
    n, k = s.shape
    run_scores = s.mean(axis=0)
    item_means = s.mean(axis=1)
    mean = float(s.mean())

    var_item_means = float(item_means.var(ddof=1)) if n > 1 else 0.0
    se = math.sqrt(var_item_means / n) if n > 1 else float("nan")
    half = float(sps.t.ppf(0.975, n - 1)) * se if n > 1 else float("nan")

    var_within = float(s.var(axis=1, ddof=1).mean()) if k > 1 else 0.0
    var_between = max(var_item_means - var_within / k, 0.0)
    var_of_mean_parts = var_between + var_within / k
    within_fraction = (var_within / k) / var_of_mean_parts if var_of_mean_parts > 0 else 0.0
    se_runs = float(run_scores.std(ddof=1)) / math.sqrt(k) if k > 1 else float("nan")

    return BenchmarkStats(
        n_items=n,
        n_runs=k,
        run_scores=[float(x) for x in run_scores],
        mean=mean,
        se=se,
        ci95=(mean - half, mean + half),
        se_runs=se_runs,
        var_between_items=var_between,
        var_within_items=var_within,
        within_fraction=within_fraction,
    )
