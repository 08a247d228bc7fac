"""pass@k and pass^k over the runs of a sample: one estimator each, for code and agent benchmarks' summaries
and for callers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from math import comb


def _check(n: int, c: int, k: int) -> None:
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased estimator of Chen et al. (2021, "Evaluating Large Language Models Trained on Code"): the
    chance that at least one of k samples drawn without replacement from n, of which c passed, passes:
    1 − C(n−c, k) / C(n, k), with exact integer binomials (Python's int division rounds correctly at any size)."""
    _check(n, c, k)
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """pass^k (τ-bench, Yao et al. 2024): the chance that all of k of the n runs pass, C(c, k) / C(n, k)."""
    _check(n, c, k)
    return comb(c, k) / comb(n, k)


def mean_pass_at_k(per_problem: Iterable[Sequence[bool]], k: int) -> float:
    """pass@k averaged over problems, each given as its samples' pass/fail (e.g. one per run)."""
    values = [pass_at_k(len(s), sum(bool(x) for x in s), k) for s in per_problem]
    if not values:
        raise ValueError("no problems")
    return sum(values) / len(values)
