"""The published rules as pure functions of numbers. Unrounded in, unrounded out; rounding happens once, at the end."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def scaled_mean(scores: Sequence[float], points: float) -> float:
    """Mean of 0–100 scores scaled to `points` (global common: 72.03 × 20/100 = 14.406 → 14.4)."""
    return sum(scores) / len(scores) * points / 100


def area_weighted(scores_by_area: Mapping[str, Sequence[float]], weights: Mapping[str, float] | None, points: float) -> float:
    """NIA: with weights, the weighted mean of per-area means; without, the plain mean of all scores."""
    if not weights:
        return scaled_mean([s for v in scores_by_area.values() for s in v], points)
    total = sum(weights.values())
    return sum(w / total * sum(scores_by_area[a]) / len(scores_by_area[a]) for a, w in weights.items()) * points / 100


def target_ratio(b: float, a: float, cap: float) -> float:
    """Individual benchmark: our score B over the target's A, capped (72/80 → 0.9; above target → 1.0)."""
    return min(b / a, cap)


def individual_points(ratios: Sequence[float], points: float) -> float:
    return sum(ratios) / len(ratios) * points


def trimmed_mean(values: Sequence[float]) -> float:
    """The arithmetic mean without the single highest and the single lowest value (at least three values)."""
    if len(values) < 3:
        raise ValueError("a trimmed mean needs at least three values")
    ordered = sorted(values)
    inner = ordered[1:-1]
    return sum(inner) / len(inner)


def user_points(sums: Mapping[str, float], points: float, top: float | None = None) -> dict[str, float]:
    """The top team by summed ratings gets `points`; every other team points × its sum / the top sum. `top`:
    the sum to scale to, when it is taken over some teams only (the eligible ones)."""
    top = max(sums.values()) if top is None else top
    return {team: points * s / top for team, s in sums.items()}


def round_half_up(x: float, digits: int) -> float:
    """Rounding as published tables do (half up), not Python's banker's rounding."""
    from decimal import ROUND_HALF_UP, Decimal

    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
