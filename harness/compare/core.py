"""`compare_packs`: per benchmark, the paired difference of two packs over their shared items, with a verdict.

A drop is a regression when it exceeds `threshold` points AND is significant (paired t-test on the per-item
differences of run means, harness.stats.paired); a gain likewise is an improvement; anything else is
unchanged. Packs whose datasets, prompts, tasks or generation settings differ are refused (bad input, exit
2, listing each difference) unless `allow_differences` is given: their scores do not measure the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.compare.differences import benchmark_differences, dataset_differences, item_differences
from harness.compare.packs import higher_is_better, load_pack, read_items
from harness.errors import RecordError
from harness.stats.paired import PairedDiff, paired_difference

VERDICTS = ("improved", "unchanged", "regressed")
MAX_FLIPPED = 200  # per benchmark, the items that moved most are listed; the rest are counted in n_flipped


@dataclass
class BenchmarkComparison:
    benchmark: str
    metric: str
    n_shared: int  # items scored in both packs (the pairs)
    only_a: int  # items scored in A only (absent from B, or left out of B's scores)
    only_b: int
    stats: PairedDiff
    verdict: str  # improved | unchanged | regressed
    flipped: list[dict[str, Any]]  # items whose majority verdict changed: sample_id, a_mean, b_mean (points)
    n_flipped: int = 0
    higher_is_better: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"benchmark": self.benchmark, "metric": self.metric, "n_shared": self.n_shared, "only_a": self.only_a,
                "only_b": self.only_b, "stats": self.stats.to_dict(), "verdict": self.verdict, "higher_is_better": self.higher_is_better,
                "n_flipped": self.n_flipped, "flipped": self.flipped}


@dataclass
class Comparison:
    a: str  # pack paths
    b: str
    differences: list[str]
    benchmarks: list[BenchmarkComparison]
    a_run_id: str = ""
    b_run_id: str = ""
    threshold: float = 1.0
    only_in_a: list[str] = field(default_factory=list)  # benchmarks one pack lacks
    only_in_b: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """regressed if any benchmark regressed, else improved if any improved, else unchanged."""
        verdicts = {c.verdict for c in self.benchmarks}
        return next((v for v in ("regressed", "improved") if v in verdicts), "unchanged")

    @property
    def regressed(self) -> list[str]:
        return [c.benchmark for c in self.benchmarks if c.verdict == "regressed"]

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "a_run_id": self.a_run_id, "b_run_id": self.b_run_id, "threshold": self.threshold,
                "verdict": self.verdict, "differences": list(self.differences), "only_in_a": self.only_in_a, "only_in_b": self.only_in_b,
                "benchmarks": [c.to_dict() for c in self.benchmarks]}


def verdict_of(stats: PairedDiff, threshold: float, higher_is_better: bool = True) -> str:
    gain = stats.diff if higher_is_better else -stats.diff
    if stats.significant and gain < -threshold:
        return "regressed"
    if stats.significant and gain > threshold:
        return "improved"
    return "unchanged"


def _flipped(ids: list[str], ma: np.ndarray, mb: np.ndarray) -> tuple[list[dict[str, Any]], int]:
    moved = np.flatnonzero((ma >= 0.5) != (mb >= 0.5))
    order = moved[np.argsort(-np.abs(mb[moved] - ma[moved]), kind="stable")]
    listed = [{"sample_id": ids[i], "a_mean": float(ma[i]) * 100, "b_mean": float(mb[i]) * 100} for i in order[:MAX_FLIPPED]]
    return listed, int(moved.size)


def compare_packs(a: Path, b: Path, *, threshold: float = 1.0, allow_differences: bool = False) -> Comparison:
    """B against A (A is the baseline): per shared benchmark, diff = B − A in points."""
    if not threshold >= 0:
        raise RecordError(f"threshold must be 0 or more points, got {threshold!r}", field="threshold")
    pa, pb = load_pack(a), load_pack(b)
    shared_benches = [n for n in pa.benchmarks if n in pb.benchmarks]
    differences = dataset_differences(pa, pb)
    for name in shared_benches:
        differences += benchmark_differences(name, pa.benchmarks[name], pb.benchmarks[name])
    items = {}
    for name in shared_benches:
        ia, ib = read_items(pa, name), read_items(pb, name)
        shared = sorted(set(ia.ids) & set(ib.ids))
        differences += item_differences(name, ia, ib, shared)
        if not shared:
            differences.append(f"{name}: no items scored in both packs")
        items[name] = (ia, ib, shared)
    if differences and not allow_differences:
        raise RecordError(
            f"{pb.path} and {pa.path} were not run the same way, so their scores are not comparable:\n  - " + "\n  - ".join(differences)
            + "\nCompare packs of the same suite settings, or pass allow_differences (compare.allow_differences=true) to compare anyway",
            file=pb.path, field="differences")
    results = []
    for name in shared_benches:
        ia, ib, shared = items[name]
        if not shared or ia.metric != ib.metric:
            continue
        at_a, at_b = ia.index(), ib.index()
        xa, xb = ia.matrix[[at_a[s] for s in shared]], ib.matrix[[at_b[s] for s in shared]]
        stats = paired_difference(xa, xb)
        hib = higher_is_better(pb.benchmarks[name])
        flipped, n_flipped = _flipped(shared, xa.mean(axis=1), xb.mean(axis=1))
        results.append(BenchmarkComparison(name, ia.metric, len(shared), len(set(ia.ids) - set(shared)), len(set(ib.ids) - set(shared)),
                                           stats, verdict_of(stats, threshold, hib), flipped, n_flipped, hib))
    return Comparison(str(pa.path), str(pb.path), differences, results, pa.run_id, pb.run_id, threshold,
                      [n for n in pa.benchmarks if n not in pb.benchmarks], [n for n in pb.benchmarks if n not in pa.benchmarks])
