"""The verdict, written inside the pack under verification/ as JSON and as readable Markdown."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from harness.pack import layout

REPORT_SCHEMA_VERSION = 1


def write_report(pack: Path, report: dict[str, Any]) -> Path:
    now = dt.datetime.now(dt.timezone.utc)
    report = {"schema_version": REPORT_SCHEMA_VERSION, "created": now.isoformat(timespec="seconds"), **report}
    out = pack / layout.VERIFICATION
    out.mkdir(exist_ok=True)
    stem = now.strftime("%Y%m%dT%H%M%SZ")
    n = 0
    while (out / f"{stem}{'-' + str(n) if n else ''}.json").exists():  # never overwrite an earlier verdict
        n += 1
    stem = f"{stem}{'-' + str(n) if n else ''}"
    (out / f"{stem}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    (out / f"{stem}.md").write_text(markdown(report))
    return out / f"{stem}.json"


def markdown(r: dict[str, Any]) -> str:
    lines = [f"# Verification of `{r['pack']}`: **{r['verdict']}**", "",
             f"Created {r['created']}. Manifest sha256 `{r.get('manifest_sha256')}`.", ""]
    lines += ["## Why", ""] + [f"- {x}" for x in r["reasons"]] + [""]
    v = r["verifier"]
    lines += ["## Settings", "", f"seed {v['seed']}, " + (f"{v['samples']} triples" if v.get("samples") else f"fraction {v['fraction']}")
              + f", ε = {v['epsilon']} nats, log-likelihood tolerance {v['ll_tolerance']}, batch-invariant: {v['batch_invariant']}", ""]
    problems = r["integrity"]["problems"]
    lines += ["## Integrity", ""] + ([f"- {p['check']}: `{p['file']}`" + (f" sample {p['sample']}" if p.get("sample") else "")
                                       + (f" field `{p['field']}`" if p.get("field") else "") + f": {p['message']}" for p in problems] or ["All files, records, seeds, scores and model hashes check out."]) + [""]
    if r.get("setup_differences"):
        lines += ["## Setup differences from the run", ""] + [f"- {d}" for d in r["setup_differences"]] + [""]
    if r.get("triples"):
        c = r["counts"]
        lines += ["## Re-run", "", f"{len(r['triples'])} triples: {c.get('identical', 0)} identical, {c.get('numeric-tie', 0)} numeric ties, "
                  f"{c.get('unexplained', 0)} unexplained; {c.get('score_changed', 0)} with a changed score.", ""]
        s = r["subset"]
        lines += [f"Subset mean: recorded {s['recorded_mean']:.2f}, re-run {s['rerun_mean']:.2f}; difference {s['mean_difference']:+.2f} "
                  f"(95% CI {s['ci95'][0]:+.2f} … {s['ci95'][1]:+.2f}, {s['test']} p = {s['p_value']:.3g}).", ""]
        lines += ["| benchmark | sample | run | output | score recorded → re-run | note |", "|---|---|---|---|---|---|"]
        for t in r["triples"]:
            d = t["divergence"]
            lines.append(f"| {t['benchmark']} | {t['sample_id']} | {t['run']} | {d['kind']} | {t['recorded_score']} → {t['rerun_score']} | {d.get('detail', '')} |")
        lines.append("")
    if r.get("draw"):
        lines += ["## The draw", "", f"Re-derive with `harness verify <pack> verify.seed={v['seed']}` and the same fraction/samples: "
                  + ", ".join(f"{b}: {n}" for b, n in r["draw"]["per_benchmark"].items()), ""]
    return "\n".join(lines)
