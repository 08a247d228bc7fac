"""The table in the terminal, and JSON + CSV in which every number traces back to its inputs."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.errors import ConfigError
from harness.points.compute import Result
from harness.points.gather import Inputs
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


def check_ranges(results: list[Result]) -> None:
    """No NaN, no infinity, no section outside 0–its maximum, no total above the sections' maxima: the checks
    on every input should make this impossible, so a hit is a bug (exit 1, nothing written), never a number."""
    def finite(x: Any, where: str) -> None:
        if isinstance(x, float) and not math.isfinite(x):
            raise RuntimeError(f"internal error: {where} is {x}")
        if isinstance(x, dict):
            for k, v in x.items():
                finite(v, f"{where}.{k}")
        if isinstance(x, (list, tuple)):
            for i, v in enumerate(x):
                finite(v, f"{where}[{i}]")

    for r in results:
        finite(asdict(r), r.team)
        for name, sec in r.sections.items():
            if not 0 <= sec["points"] <= sec["max"] + 1e-9:
                raise RuntimeError(f"internal error: {r.team} {name} points {sec['points']} outside 0–{sec['max']}")
        top = sum(r.sections[k]["max"] for k in ("benchmarks", "expert", "user") if k in r.sections)
        if not 0 <= r.total <= top + 1e-9:
            raise RuntimeError(f"internal error: {r.team} total {r.total} outside 0–{top}")


def status(provisional: list[str]) -> str:
    return f"PROVISIONAL (no {' and no '.join(provisional)} sheet)" if provisional else "FINAL"


def print_table(results: list[Result], cfg: dict, console: Console | None = None, provisional: list[str] | None = None) -> None:
    digits = cfg["rounding"]
    table = Table(title=f"Phase evaluation ({cfg['name']})" + (f": {status(provisional)}" if provisional else ""))
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
    for note in sorted({r.target_source for r in results if r.target_source}):
        teams = ", ".join(r.team for r in results if r.target_source == note)
        console.print(f"target scores A ({teams}): {note}", markup=False, highlight=False)
    if provisional:
        console.print(f"{status(provisional)}: totals are out of fewer than 100 points and are not the official table", markup=False, highlight=False)


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


def write_outputs(results: list[Result], cfg: dict, out: Path, inputs: Inputs) -> list[Path]:
    _claim(out)
    digits = cfg["rounding"]
    state = status(inputs.missing_sheets)
    table = rounded(results, digits)
    for row, r in zip(table, results):
        row["target_source"] = r.target_source
    doc = {
        "schema_version": 2,
        "status": state,  # FINAL, or PROVISIONAL when a sheet the rules declare was missing (allow_partial)
        "rules": cfg,
        "inputs": inputs.files,  # every file read, with its sha256 (a pack: its manifest's)
        "table": table,
        "averages": averages(results, digits),
        "teams": [asdict(r) for r in results],  # unrounded, with every step
    }
    json_path = out / "scores.json"
    json_path.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str, allow_nan=False) + "\n")
    csv_path = out / "scores.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["status", "rank", "team", "eligible", *COLUMNS, "total", *(f"{c}_unrounded" for c in (*COLUMNS, "total")),
                    "ineligible_reasons", "target_scores_A"])
        for r, row in zip(results, table):
            w.writerow([state, row["rank"] or "", r.team, r.eligible, *(row[c] for c in (*COLUMNS, "total")),
                        *(r.sections[c]["points"] if c in r.sections else "" for c in COLUMNS), r.total, "; ".join(r.ineligible_reasons),
                        r.target_source or ""])
    steps_path = out / "steps.csv"  # one row per input number: what it was, where it came from, what it became
    with open(steps_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["status", "team", "section", "item", "value", "detail", "source"])
        for r in results:
            for row in _steps(r):
                w.writerow([state, r.team, *row])
        for f in inputs.files:
            w.writerow([state, "", "input file", f["file"], f["sha256"], f.get("role", ""), "sha256"])
    return [json_path, csv_path, steps_path]


def _steps(r: Result) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for key in ("nia", "global_common"):
        rows += [[key, s["benchmark"], s["score"], s.get("area") or "", s["source"]] for s in r.sections[key]["inputs"]]
    for s in r.sections["individual"]["steps"]:
        rows.append(["individual", s["benchmark"], s["capped"], f"B={s['B']} A={s['A']} ratio={s['ratio']:.6g}", f"B: {s['source']}; A: {s['A_source']}"])
    ex = r.sections.get("expert")
    if ex:
        dropped = {**{ev: "dropped (highest)" for ev in ex.get("dropped_highest", {})}, **{ev: "dropped (lowest)" for ev in ex.get("dropped_lowest", {})}}
        for ev, total in ex["evaluator_totals"].items():
            rows.append(["expert", ev, total, "evaluator total" + (f", {dropped[ev]}" if ev in dropped else ", counted" if dropped else ""), "expert sheet"])
            rows += [["expert", f"{ev} {c}", v, "criterion score", "expert sheet"] for c, v in ex["per_criterion"][ev].items()]
        for c, v in ex.get("per_criterion_trimmed_means", {}).items():
            rows.append(["expert", c, v, "trimmed mean of the criterion", "expert sheet"])
    if "user" in r.sections:
        u = r.sections["user"]
        detail = f"top sum {u['top_sum']} (over {u['top_over']} teams)" + (f"; capped from {u['capped_from']:.6g}" if "capped_from" in u else "")
        rows.append(["user", "sum", u["sum"], detail, "user sheet"])
    return rows
