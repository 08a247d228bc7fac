"""summary.md: the report's figures as Markdown, for a CI comment or an e-mail; written from report.json's data."""

from __future__ import annotations

import math
from typing import Any


def _f(x: Any, d: int = 2) -> str:
    return f"{x:.{d}f}" if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else "–"


def render(data: dict[str, Any]) -> str:
    lines = ["# harness report", ""]
    for p in data["packs"]:
        lines += [f"## {p['run_id']}", "", f"Suite {p['suite']}, model {p['model']}, {p['repeats']} runs; verification: **{p['status']['label']}**.", "",
                  "| benchmark | metric | items | mean | SE | 95% CI |", "|---|---|---:|---:|---:|---|"]
        for b, s in p["benchmarks"].items():
            lines.append(f"| {b} | `{s['metric']}` | {s['n_items']} | {_f(s['mean'])} | {_f(s['se'])} | [{_f(s['ci95'][0])}, {_f(s['ci95'][1])}] |")
        lines.append("")
    for c in data["comparisons"]:
        lines += [f"## {c['b']} against {c['a']}", ""]
        if c["differences"]:
            lines += ["Setups differ: " + "; ".join(c["differences"]), ""]
        lines += ["| benchmark | A | B | B − A | 95% CI | p | verdict |", "|---|---:|---:|---:|---|---:|---|"]
        for r in c["benchmarks"]:
            lines.append(f"| {r['benchmark']} | {_f(r['mean_a'])} | {_f(r['mean_b'])} | {_f(r['diff'])} | [{_f(r['ci95'][0])}, {_f(r['ci95'][1])}] "
                         f"| {_f(r['p_value'], 3)} | {'**regressed**' if r['verdict'] == 'regressed' else r['verdict']} |")
        lines.append("")
    lb = data.get("leaderboard")
    if lb:
        lines += [f"## Leaderboard ({lb['status']})", "", "| rank | team | benchmarks /40 | expert /35 | user /25 | total /100 |", "|---:|---|---:|---:|---:|---:|"]
        for row in lb["table"]:
            lines.append(f"| {row['rank'] or '—'} | {row['team']}{'' if row['eligible'] else ' (not eligible)'} | {row['benchmarks']} | "
                         f"{row['expert'] if row['expert'] is not None else '–'} | {row['user'] if row['user'] is not None else '–'} | {row['total']} |")
        lines.append("")
    tr = data.get("trend")
    if tr:
        last: dict[str, dict[str, Any]] = {}
        for r in tr["rows"]:
            if r.get("benchmark") is not None and r.get("mean") is not None:  # a failed night has no scores
                last[r["benchmark"]] = r
        lines += [f"## Trend ({len({r['entry_id'] for r in tr['rows']})} nights)", "", "| benchmark | latest mean | 95% CI |", "|---|---:|---|"]
        lines += [f"| {b} | {_f(r['mean'])} | [{_f(r['ci_low'])}, {_f(r['ci_high'])}] |" for b, r in sorted(last.items())]
        lines.append("")
    return "\n".join(lines)
