"""The end-of-job table: benchmark × run 1…N, mean ± 95% CI, and what the scores leave out (samples excluded
because a run went unscored, agent episodes that failed for the model's reasons)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def notes(entry: dict[str, Any]) -> str:
    """"2 excluded (sandbox_error 1, score_error 1) · 3 episodes failed", or ""."""
    out = []
    if entry.get("n_excluded"):
        kinds = ", ".join(f"{k} {n}" for k, n in (entry.get("unscored") or {}).items())
        out.append(f"{entry['n_excluded']} excluded ({kinds} runs)")
    if entry.get("failed_episodes"):
        out.append(f"{entry['failed_episodes']} episodes failed")
    return " · ".join(out)


def summary_table(summary: dict[str, Any]) -> Table:
    repeats = int(summary["repeats"])
    with_notes = any(notes(s) for s in summary["benchmarks"].values())
    table = Table(title=f"{summary['suite']} · {summary.get('model', '')} · {summary['run_id']}")
    table.add_column("benchmark")
    table.add_column("metric")
    for r in range(repeats):
        table.add_column(f"run {r + 1}", justify="right")
    table.add_column("mean ± 95% CI", justify="right")
    table.add_column("n", justify="right")
    if with_notes:
        table.add_column("left out")
    for name, s in summary["benchmarks"].items():
        extra = [notes(s)] if with_notes else []
        if not s.get("complete") or "mean" not in s:
            table.add_row(name, s["metric"], *(["–"] * repeats), "incomplete" if not s.get("complete") else "no scored item",
                          str(s.get("n_items", 0)), *extra)
            continue
        lo, hi = s["ci95"]
        half = (hi - lo) / 2
        ci = f"{s['mean']:.1f} ± {half:.1f}" if half == half else f"{s['mean']:.1f}"
        table.add_row(name, s["metric"], *(f"{x:.1f}" for x in s["run_scores"]), ci, str(s["n_items"]), *extra)
    return table


def print_summary(summary: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    if not console.is_terminal:  # logs and CI: don't squeeze the table into 80 columns
        console = Console(width=max(console.width, 160), file=console.file)
    console.print(summary_table(summary))
