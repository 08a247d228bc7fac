"""The comparison page: every pack against the first, per benchmark, through `harness compare`'s own statistics
(paired differences over the shared items, clustered by item). Packs whose setups differ are still compared
here, with the differences listed at the top: a reader of a report decides, `harness compare` refuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.report import charts
from harness.report.facts import PackFacts


@dataclass
class Compared:
    a: str
    b: str
    differences: list[str]
    rows: list[dict[str, Any]]
    chart: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "differences": self.differences, "benchmarks": self.rows}


def _row(bc: Any) -> dict[str, Any]:
    s = bc.stats.to_dict()
    return {"benchmark": bc.benchmark, "metric": bc.metric, "n_shared": bc.n_shared, "only_a": bc.only_a, "only_b": bc.only_b,
            "mean_a": s["mean_a"], "mean_b": s["mean_b"], "diff": s["diff"], "se": s["se"], "ci95": list(s["ci95"]),
            "p_value": s["p_value"], "significant": s["significant"], "verdict": bc.verdict, "flipped": list(bc.flipped)}


def compare(packs: list[PackFacts], threshold: float) -> list[Compared]:
    from harness.compare import compare_packs

    out = []
    for i, p in enumerate(packs[1:], start=1):
        c = compare_packs(packs[0].path, p.path, threshold=threshold, allow_differences=True)
        rows = [_row(bc) for bc in c.benchmarks]
        out.append(Compared(packs[0].run_id, p.run_id, list(c.differences), rows,
                            charts.differences(rows, f"{p.run_id} − {packs[0].run_id}", f"chart-diff-{i}")))
    return out


def write_page(w: Any, compared: list[Compared], threshold: float) -> None:
    w.page("compare.html", "compare.html.j2", "Comparison", plots=True, comparisons=compared, base=compared[0].a, threshold=threshold)
