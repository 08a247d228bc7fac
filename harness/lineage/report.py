"""The lineage report: JSON (read by `harness score`'s independence gate: `components[*].name`, `verdict`,
`reference`, `p_value`) and Markdown for the verifier, with the same evidence."""

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


def _p(p: float | None) -> str:
    return "–" if p is None else "< 1e-300" if p == 0 else f"{p:.3g}"


def _num(v: Any) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def markdown(r: dict[str, Any]) -> str:
    lines = [f"# Lineage of `{r['candidate']}`: **{r['verdict']}**", "",
             f"References: {', '.join(f'`{x}`' for x in r['references'])}. α = {r['alpha']:g}, inconclusive below "
             f"{r['inconclusive_alpha']:g} (Holm-corrected within each component).", "",
             "| component | reference | verdict | corrected p | strongest test | null | effect | layers |", "|---|---|---|---|---|---|---|---|"]
    for c in r["components"]:
        t = c.get("test") or {}
        where = ", ".join(f"{k}={v}" for k, v in t.items() if k not in ("kind", "null"))
        eff = ", ".join(f"{k}={_num(v)}" for k, v in c["effect"].items())
        lines.append(f"| {c['name']} | {c['reference']} | **{c['verdict']}** | {_p(c['p_value'])} | {t.get('kind', '–')} ({where}) "
                     f"| {t.get('null', c.get('reason', '–'))} | {eff or '–'} | {c['layers'] or '–'} |")
    lines += ["", "## In plain words", ""] + [f"- **{c['name']}** vs `{c['reference']}`: {c['sentence']}" for c in r["components"]]
    lines += ["", "## Evidence per component (strongest tests)", ""]
    for c in r["components"]:
        if not c["evidence"]:
            continue
        lines += [f"### {c['name']} vs `{c['reference']}` ({c['n_tests']} tests: "
                  f"{', '.join(f'{k} {n}' for k, n in c.get('tests_by_kind', {}).items())})", "",
                  "| test | where | statistic | p | corrected p |", "|---|---|---|---|---|"]
        for e in c["evidence"]:
            where = ", ".join(f"{k}={v}" for k, v in e.items() if k in ("tensor", "layer", "reference_layer", "block", "expert", "reference_expert", "basis"))
            stat = ", ".join(f"{k}={_num(v)}" for k, v in e.items() if k in ("r", "null_mean", "null_sd", "z", "agreement", "margin", "cosine", "cka", "identical"))
            lines.append(f"| {e['kind']} | {where} | {stat} | {_p(e['p'])} | {_p(e['adjusted_p'])} |")
        lines.append("")
    lines += ["## Alignment, controls and provenance", ""]
    for ex in r.get("comparisons", []):
        prov = ex.get("provenance") or {}
        lines.append(f"- reference `{ex['reference']}`: path `{prov.get('path')}`, revision `{prov.get('revision') or 'not given'}`, "
                     f"architectures {prov.get('architectures')}")
        for fname, sha in (prov.get("files") or {}).items():
            lines.append(f"  - `{fname}` sha256 `{sha}`")
        for comp, bases in ex.get("alignment", {}).items():
            for basis, a in bases.items():
                lines.append(f"- {comp}: rotation from {basis} — {a['source']}, fit {a['fit']:.3f}")
        for comp, ctl in ex.get("controls", {}).items():
            if ctl:
                lines.append(f"- control, {comp} layer {ctl['layer']}: an MLP against itself agrees {ctl['positive']['agreement']:.0%} "
                             f"(p {_p(ctl['positive']['p'])}); with its units shuffled {ctl['negative']['agreement']:.0%} (p {_p(ctl['negative']['p'])})")
        for comp, why in ex.get("not_testable", {}).items():
            lines.append(f"- {comp}: not testable — {why}")
        lines += [f"- note: {n}" for n in ex.get("notes", [])]
    lines += [f"- activation route: {n}" for n in r.get("activation_route", [])]
    flags = r.get("metadata_flags", {})
    lines += ["", "## Metadata (supporting, never a verdict on its own)", ""] + [f"- {k}: {v}" for k, v in flags.items()]
    lines += ["", "Method and limits: docs/lineage.md. Uncentred cosine similarities are never used: two unrelated norm-gain vectors "
              "near 1 have cosine ≈ 0.99."]
    return "\n".join(lines) + "\n"
