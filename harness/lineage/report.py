"""The lineage report: JSON (read by `harness score`'s independence gate) and Markdown for people."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any


def write(report: dict[str, Any], stem: Path) -> tuple[Path, Path]:
    stem.parent.mkdir(parents=True, exist_ok=True)
    js, md = stem.with_suffix(".json"), stem.with_suffix(".md")
    js.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=_plain) + "\n")
    md.write_text(markdown(report))
    return js, md


def _plain(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    if hasattr(x, "tolist"):
        return x.tolist()
    return str(x)


def default_stem(candidate: str) -> Path:
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return Path("results") / "lineage" / f"{Path(candidate).name}-{now}"


def _p(p: float) -> str:
    return "< 1e-300" if p == 0 else f"{p:.3g}"


def markdown(r: dict[str, Any]) -> str:
    lines = [f"# Lineage of `{r['candidate']}`: **{r['verdict']}**", "",
             f"References: {', '.join(f'`{x}`' for x in r['references'])}. α = {r['alpha']:g} (Holm-corrected within each component).", "",
             "| component | reference | verdict | corrected p | strongest test | effect | layers |", "|---|---|---|---|---|---|---|"]
    for c in r["components"]:
        t = c["test"]
        where = ", ".join(f"{k}={v}" for k, v in t.items() if k != "kind")
        eff = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in c["effect"].items() if k != "ci95")
        lines.append(f"| {c['name']} | {c['reference']} | **{c['verdict']}** | {_p(c['p_value'])} | {t['kind']} ({where}) | {eff} | {c['layers'] or '–'} |")
    lines += ["", "## Controls", ""]
    for ex in r.get("comparisons", []):
        for comp, ctl in ex["controls"].items():
            if ctl:
                lines.append(f"- {ex['reference']} / {comp}, layer {ctl['layer']}: positive ρ = {ctl['positive']['rho']:.3f} (p {_p(ctl['positive']['p'])}), "
                             f"negative ρ = {ctl['negative']['rho']:.3f} (p {_p(ctl['negative']['p'])})")
    flags = r.get("metadata_flags", {})
    lines += ["", "## Supporting evidence (never a verdict on its own)", ""] + [f"- {k}: {v}" for k, v in flags.items()]
    lines += ["", "Method: docs/lineage.md. Uncentred cosine similarities are never used: two unrelated norm-gain vectors "
              "near 1 have cosine ≈ 0.99."]
    return "\n".join(lines) + "\n"
