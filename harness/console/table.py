"""The end-of-job table: benchmark × run 1…N, mean ± 95% CI."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def summary_table(summary: dict[str, Any]) -> Table:
    repeats = int(summary["repeats"])
    table = Table(title=f"{summary['suite']} · {summary.get('model', '')} · {summary['run_id']}")
    table.add_column("benchmark")
    table.add_column("metric")
    for r in range(repeats):
        table.add_column(f"run {r + 1}", justify="right")
    table.add_column("mean ± 95% CI", justify="right")
    table.add_column("n", justify="right")
    for name, s in summary["benchmarks"].items():
        if not s.get("complete"):
            table.add_row(name, s["metric"], *(["–"] * repeats), "incomplete", str(s.get("n_items", 0)))
            continue
        lo, hi = s["ci95"]
        half = (hi - lo) / 2
        ci = f"{s['mean']:.1f} ± {half:.1f}" if half == half else f"{s['mean']:.1f}"
        table.add_row(name, s["metric"], *(f"{x:.1f}" for x in s["run_scores"]), ci, str(s["n_items"]))
    return table


def print_summary(summary: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    if not console.is_terminal:  # logs and CI: don't squeeze the table into 80 columns
        console = Console(width=max(console.width, 160), file=console.file)
    console.print(summary_table(summary))
