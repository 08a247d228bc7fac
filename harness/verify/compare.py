"""Recorded vs re-run, per triple and over the subset. Pure: reads records only.

A re-run batched differently can take another path at a near-tie: bf16 puts log-probs on a 1/16 grid, and on
an H100 every first differing token of a batch-composition change had a top-two margin ≤ 0.125 nats. So a
differing output is a `numeric-tie` when, at its first differing token, the recorded and re-run tokens are
the top two and both runs put them within ε of each other; anything else is `unexplained`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from scipy import stats as sps

from harness.records.schema import Response, SampleRecord

IDENTICAL, NUMERIC_TIE, UNEXPLAINED = "identical", "numeric-tie", "unexplained"


@dataclass
class Divergence:
    kind: str  # identical | numeric-tie | unexplained
    position: int | None = None  # first differing output token (generation)
    recorded_token: int | None = None
    rerun_token: int | None = None
    margin_recorded: float | None = None  # top-1 − top-2 log-prob at that position
    margin_rerun: float | None = None
    detail: str = ""

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None and v != ""}


def _margin(top_logprobs: list[list[float]], pos: int) -> float | None:
    if pos >= len(top_logprobs) or len(top_logprobs[pos]) < 2:
        return None
    return float(top_logprobs[pos][0] - top_logprobs[pos][1])


def compare_generation(rec: Response, new: Response, epsilon: float) -> Divergence:
    a, b = rec.token_ids, new.token_ids
    if a == b:
        return Divergence(IDENTICAL)
    pos = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    if pos >= min(len(a), len(b)):  # one is a prefix of the other: stopped at another place, no token choice
        return Divergence(UNEXPLAINED, pos, detail=f"one output is a prefix of the other ({len(a)} vs {len(b)} tokens)")
    x, y = a[pos], b[pos]
    m_rec, m_new = _margin(rec.top_logprobs, pos), _margin(new.top_logprobs, pos)
    top2_rec = rec.top_ids[pos][:2] if pos < len(rec.top_ids) else []
    top2_new = new.top_ids[pos][:2] if pos < len(new.top_ids) else []
    tie = (
        m_rec is not None and m_new is not None
        and {x, y} <= set(top2_rec) and {x, y} <= set(top2_new)
        and m_rec <= epsilon and m_new <= epsilon
    )
    if tie:
        return Divergence(NUMERIC_TIE, pos, x, y, m_rec, m_new, f"top two within ε={epsilon} in both runs")
    why = "no top-two log-probs recorded" if m_rec is None or m_new is None else (
        f"tokens {x}, {y} are not the top two" if not ({x, y} <= set(top2_rec) and {x, y} <= set(top2_new))
        else f"margin {max(m_rec, m_new):.3f} > ε={epsilon}")
    return Divergence(UNEXPLAINED, pos, x, y, m_rec, m_new, why)


def compare_loglikelihoods(rec: list[Response], new: list[Response], tolerance: float, epsilon: float, same_score: bool) -> Divergence:
    """Multiple choice: identical within `tolerance`; a tie when the score held and no choice moved by more than ε."""
    deltas = [abs((r.loglikelihood or 0.0) - (n.loglikelihood or 0.0)) for r, n in zip(rec, new, strict=True)]
    worst = max(deltas, default=0.0)
    if worst <= tolerance and all(r.is_greedy == n.is_greedy for r, n in zip(rec, new)):
        return Divergence(IDENTICAL, detail=f"max Δ log-likelihood {worst:.2e}")
    if same_score and worst <= epsilon:
        return Divergence(NUMERIC_TIE, detail=f"max Δ log-likelihood {worst:.3g} ≤ ε, same answer")
    return Divergence(UNEXPLAINED, detail=f"max Δ log-likelihood {worst:.3g}" + ("" if same_score else ", score changed"))


def compare_triple(rec: SampleRecord, new_responses: list[Response], new_metrics: dict[str, Any], metric: str,
                   epsilon: float, ll_tolerance: float) -> dict[str, Any]:
    """One drawn triple: its divergence class, recorded and re-run score. The same output scored differently
    is `unexplained` too: the scoring did not reproduce (another task or lm-eval version, or an edit)."""
    a, b = rec.metrics.get(metric), new_metrics.get(metric)
    same_score = a == b
    if rec.responses and rec.responses[0].request_type == "loglikelihood":
        div = compare_loglikelihoods(rec.responses, new_responses, ll_tolerance, epsilon, same_score)
    else:
        divs = [compare_generation(r, n, epsilon) for r, n in zip(rec.responses, new_responses, strict=True)]
        div = next((d for d in divs if d.kind == UNEXPLAINED), next((d for d in divs if d.kind == NUMERIC_TIE), divs[0]))
        if div.kind == IDENTICAL and not same_score:
            div = Divergence(UNEXPLAINED, detail="identical output, different score: the scoring did not reproduce")
    return {"divergence": div.to_dict(), "recorded_score": a, "rerun_score": b, "score_identical": same_score}


@dataclass
class SubsetComparison:
    n: int
    recorded_mean: float
    rerun_mean: float
    mean_difference: float  # re-run − recorded, in score points (0–100)
    ci95: tuple[float, float]
    p_value: float  # paired t-test; 1.0 when every difference is zero
    test: str = "paired t-test"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["ci95"] = list(self.ci95)
        return d


def compare_subset(recorded: list[float], rerun: list[float], scale: float = 100.0) -> SubsetComparison:
    """Scores of the drawn triples, recorded vs re-run (per-sample metric values, e.g. 0/1)."""
    n = len(recorded)
    rec = [x * scale for x in recorded]
    new = [x * scale for x in rerun]
    diffs = [b - a for a, b in zip(rec, new, strict=True)]
    mean_d = sum(diffs) / n if n else 0.0
    if n < 2 or all(d == diffs[0] for d in diffs):
        p = 1.0 if mean_d == 0 else 0.0
        ci = (mean_d, mean_d)
    else:
        p = float(sps.ttest_rel(new, rec).pvalue)
        se = sps.sem(diffs)
        half = float(sps.t.ppf(0.975, n - 1) * se)
        ci = (mean_d - half, mean_d + half)
    return SubsetComparison(n, sum(rec) / n if n else math.nan, sum(new) / n if n else math.nan, mean_d, ci, p)
