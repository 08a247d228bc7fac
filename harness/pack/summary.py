"""Per-run metrics and the summary, computed from records alone — by `run` when it finishes and again by
`verify`, which must get the same numbers bit for bit."""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from collections.abc import Iterable
from numbers import Real
from typing import Any, NamedTuple

from harness.records.schema import SampleRecord
from harness.stats.pass_k import pass_at_k, pass_hat_k
from harness.stats.summary import summarise


def _scalar(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, Real) and math.isfinite(float(value)):
        return float(value)
    return None


# A record's `score_error` starting with this is the sandbox failing, not the program (harness.sandbox).
SANDBOX_ERROR = "sandbox_error"


class ScoreRow(NamedTuple):
    """What scores need of a record: its sample, task, run and scalar metrics (no text, no tokens), so a
    benchmark's summary is computed in memory proportional to its items × runs, not to its outputs.
    `unscored` is why the sample-run has no score (`sandbox_error` or `score_error`), None when scored."""

    sample_id: str
    task: str
    run: int
    metrics: dict[str, float]
    unscored: str | None = None


def unscored_kind(score_error: str | None) -> str | None:
    if score_error is None:
        return None
    return SANDBOX_ERROR if score_error.startswith(SANDBOX_ERROR) else "score_error"


def scalar_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """A record's scalar metrics, keys interned: a pack's 10^5 records share a handful of metric names."""
    return {sys.intern(k): x for k, v in metrics.items() if (x := _scalar(v)) is not None}


def score_rows(records: Iterable[SampleRecord]) -> list[ScoreRow]:
    """One pass over (streamed) records, keeping only what scores need (a sample's runs share its id)."""
    return [ScoreRow(sys.intern(r.sample_id), sys.intern(r.task), r.run, scalar_metrics(r.metrics), unscored_kind(r.score_error))
            for r in records]


def _unscored(rec: Any) -> str | None:
    """A row's `unscored` (score rows, the verifier's rows) or a record's reading of its `score_error`."""
    return rec.unscored if hasattr(rec, "unscored") else unscored_kind(rec.score_error)


def excluded_items(records: Iterable[SampleRecord | ScoreRow]) -> tuple[set[str], dict[str, int]]:
    """(samples left out of the scores, unscored sample-runs per kind). A sample with any unscored run is
    left out whole: its runs cannot be compared with the others', and a guess would be a score."""
    ids: set[str] = set()
    kinds: dict[str, int] = defaultdict(int)
    for rec in records:
        kind = _unscored(rec)
        if kind is not None:
            ids.add(rec.sample_id)
            kinds[kind] += 1
    return ids, dict(sorted(kinds.items()))


def run_metrics(records: Iterable[SampleRecord | ScoreRow], repeats: int) -> list[dict[str, Any]]:
    """For each run, the mean of every scalar metric over the samples recorded for it, and the count."""
    sums: list[dict[str, float]] = [defaultdict(float) for _ in range(repeats)]
    counts: list[dict[str, int]] = [defaultdict(int) for _ in range(repeats)]
    n, unscored = [0] * repeats, [0] * repeats
    for rec in records:
        n[rec.run] += 1
        unscored[rec.run] += _unscored(rec) is not None
        for key, value in rec.metrics.items():
            x = _scalar(value)
            if x is not None:
                sums[rec.run][key] += x
                counts[rec.run][key] += 1
    return [
        {"run": r, "n_samples": n[r], "n_unscored": unscored[r], "metrics": {k: sums[r][k] / counts[r][k] for k in sorted(sums[r])}}
        for r in range(repeats)
    ]


def score_matrix(records: Iterable[SampleRecord | ScoreRow], metric_key: str, repeats: int,
                 excluded: set[str] = frozenset()) -> tuple[list[str], list[list[float]], list[str]]:
    """(sample ids, scores[sample][run], problems), leaving out the `excluded` samples. A sample lacking a
    run or the metric is a problem."""
    by_sample: dict[str, dict[int, float]] = defaultdict(dict)
    problems = []
    for rec in records:
        if rec.sample_id in excluded:
            continue
        x = _scalar(rec.metrics.get(metric_key))
        if x is None:
            problems.append(f"{rec.sample_id} run {rec.run}: no scalar value for {metric_key}")
            continue
        by_sample[rec.sample_id][rec.run] = x
    ids = sorted(by_sample)
    for sid in ids:
        missing = [r for r in range(repeats) if r not in by_sample[sid]]
        if missing:
            problems.append(f"{sid}: runs {missing} not recorded")
    matrix = [[by_sample[sid].get(r, float("nan")) for r in range(repeats)] for sid in ids]
    return ids, matrix, problems


def benchmark_summary(
    records: list[SampleRecord | ScoreRow], *, metric_key: str, repeats: int, n_samples: int, area: str | None
) -> dict[str, Any]:
    """The summary entry of one benchmark (see docs/contracts.md); scores on a 0–100 scale. Samples with an
    unscored run are left out of the scores and counted (`n_excluded`, `unscored`: sample-runs per kind)."""
    excluded, unscored = excluded_items(records)
    ids, matrix, problems = score_matrix(records, metric_key, repeats, excluded)
    complete = not problems and len(ids) + len(excluded) == n_samples
    entry: dict[str, Any] = {"metric": metric_key, "area": area, "n_items": len(ids), "n_expected": n_samples, "complete": complete,
                             "n_excluded": len(excluded), "unscored": unscored}
    failed = _failed_episodes(records)
    if failed:
        entry["failed_episodes"] = failed
    if complete and ids:
        entry.update(summarise(matrix).to_dict())
        passes = pass_counts(records, repeats, excluded)
        if passes:  # code (pass@k) and agent (pass^k) benchmarks: k = 1 … runs, over the runs of each sample
            entry["pass_at_k"] = {k: 100 * sum(pass_at_k(repeats, c, k) for c in passes) / len(passes) for k in range(1, repeats + 1)}
            entry["pass_hat_k"] = {k: 100 * sum(pass_hat_k(repeats, c, k) for c in passes) / len(passes) for k in range(1, repeats + 1)}
    else:
        n = len(ids) + len(excluded)
        entry["problems"] = problems[:20] + ([f"{n} samples recorded, {n_samples} expected"] if n != n_samples else [])
    return entry


def _failed_episodes(records: Iterable[SampleRecord | ScoreRow]) -> int:
    """Agent episodes that ended for the model's reasons (reward 0, reason recorded): `episode_failed,none`."""
    return sum(int(x) for rec in records if (x := _scalar(rec.metrics.get("episode_failed,none"))) is not None)


def pass_counts(records: Iterable[SampleRecord | ScoreRow], repeats: int, excluded: set[str] = frozenset()) -> list[int]:
    """Per sample, in how many runs it passed (`pass` metric, 0/1); empty when the benchmark has none."""
    counts: dict[str, int] = defaultdict(int)
    seen = False
    for rec in records:
        if rec.sample_id in excluded:
            continue
        x = _scalar(rec.metrics.get("pass,none"))
        if x is not None:
            seen = True
            counts[rec.sample_id] += int(x >= 1.0)
    return list(counts.values()) if seen else []
