"""The table in the terminal, and JSON + CSV in which every number traces back to its inputs."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.errors import ConfigError
from harness.points.compute import Result
from harness.points.rules import round_half_up

COLUMNS = ("nia", "global_common", "individual", "benchmarks", "expert", "user")


def rounded(results: list[Result], digits: int) -> list[dict[str, Any]]:
    """Published figures: each section and the total rounded once, from unrounded values."""
    rows = []
    for r in results:
        row = {"rank": r.rank, "team": r.team, "eligible": r.eligible}
        for c in COLUMNS:
            row[c] = round_half_up(r.sections[c]["points"], digits) if c in r.sections else None
        row["total"] = round_half_up(r.total, digits)
        rows.append(row)
    return rows


def averages(results: list[Result], digits: int) -> dict[str, float | None]:
    eligible = [r for r in results if r.eligible]
    out: dict[str, float | None] = {}
    for c in (*COLUMNS, "total"):
        vals = [r.total if c == "total" else r.sections[c]["points"] for r in eligible if c == "total" or c in r.sections]
        out[c] = round_half_up(sum(vals) / len(vals), digits + 1) if vals else None
    return out


def print_table(results: list[Result], cfg: dict, console: Console | None = None) -> None:
    digits = cfg["rounding"]
    table = Table(title=f"Phase evaluation ({cfg['name']})")
    for col in ("rank", "team", "NIA /10", "common /20", "individual /10", "benchmarks /40", "expert /35", "user /25", "total /100"):
        table.add_column(col, justify="left" if col == "team" else "right")
    for row in rounded(results, digits):
        cells = ["–" if row[c] is None else f"{row[c]:.{digits}f}" for c in (*COLUMNS, "total")]
        table.add_row(str(row["rank"] or "—"), row["team"] + ("" if row["eligible"] else " (ineligible)"), *cells)
    avg = averages(results, digits)
    table.add_row("", "average (eligible)", *["–" if avg[c] is None else f"{avg[c]:g}" for c in (*COLUMNS, "total")])
    console = console or Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, 140), file=console.file)
    console.print(table)
    for r in results:
        if not r.eligible:
            console.print(f"[bold]{r.team}[/bold] is shown but not ranked: " + "; ".join(r.ineligible_reasons), markup=True, highlight=False)


MARKER = ".harness-scores"


def _claim(out: Path) -> None:
    """Write only into a new or empty directory, or one an earlier `harness score` wrote (marker present)."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} exists and is not a directory; choose another scoring.out=…", file=out, field="scoring.out")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise ConfigError(f"{out} holds files that `harness score` did not write; nothing was changed. Choose a new "
                          "or empty directory with scoring.out=…", file=out, field="scoring.out")
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by harness score\n")


def write_outputs(results: list[Result], cfg: dict, out: Path, inputs: dict[str, Any]) -> list[Path]:
    _claim(out)
    digits = cfg["rounding"]
    doc = {
        "schema_version": 1,
        "rules": cfg,
        "inputs": inputs,
        "table": rounded(results, digits),
        "averages": averages(results, digits),
        "teams": [asdict(r) for r in results],  # unrounded, with every step
    }
    json_path = out / "scores.json"
    json_path.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")
    csv_path = out / "scores.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["rank", "team", "eligible", *COLUMNS, "total", *(f"{c}_unrounded" for c in (*COLUMNS, "total")), "ineligible_reasons"])
        for r, row in zip(results, rounded(results, digits)):
            w.writerow([row["rank"] or "", r.team, r.eligible, *(row[c] for c in (*COLUMNS, "total")),
                        *(r.sections[c]["points"] if c in r.sections else "" for c in COLUMNS), r.total, "; ".join(r.ineligible_reasons)])
    steps_path = out / "steps.csv"  # one row per input number: what it was, where it came from, what it became
    with open(steps_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["team", "section", "item", "value", "detail", "source"])
        for r in results:
            for key in ("nia", "global_common"):
                for s in r.sections[key]["inputs"]:
                    w.writerow([r.team, key, s["benchmark"], s["score"], s.get("area") or "", s["source"]])
            for s in r.sections["individual"]["steps"]:
                w.writerow([r.team, "individual", s["benchmark"], s["capped"], f"B={s['B']} A={s['A']} ratio={s['ratio']:.6g}", s["source"]])
            for ev, total in r.sections.get("expert", {}).get("evaluator_totals", {}).items():
                w.writerow([r.team, "expert", ev, total, "evaluator total", "expert sheet"])
            if "user" in r.sections:
                u = r.sections["user"]
                w.writerow([r.team, "user", "sum", u["sum"], f"top sum {u['top_sum']}", "user sheet"])
    return [json_path, csv_path, steps_path]
