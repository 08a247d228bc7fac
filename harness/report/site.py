"""`harness report`: a static site that opens from disk (no network), written from packs, a score table and a
history; every number it shows is read from those files, and `report.json` holds the same numbers as data.

    packs ─ facts.read_pack ─┬─ pack-<id>.html  (scores, variance, distribution, verdicts, manifest, samples)
                              ├─ samples.write_benchmark → data/<id>/<benchmark>/{index,chunk-N}.js
    packs[0] vs packs[i] ─ comparison.compare ─ compare.html
    scores.json ─ leaderboard.read_scores ─ leaderboard.html
    history ─ History.trend ─ trend.html
    all of it ─ summary_md.render ─ summary.md
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from harness.errors import ConfigError
from harness.report import charts
from harness.report.facts import PackFacts, data_rows, manifest_facts, read_pack

MARKER = ".harness-report"
ASSETS = Path(__file__).parent / "assets"
TEMPLATES = Path(__file__).parent / "templates"


def _fmt(digits: int):
    def f(x: Any) -> str:
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(float(x)):
            return "–"
        return f"{x:.{digits}f}"
    return f


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(f1=_fmt(1), f2=_fmt(2), f3=_fmt(3))
    return env


def claim(out: Path) -> None:
    """Write only into a new or empty directory, or one an earlier `harness report` wrote (marker present)."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} exists and is not a directory; choose another out=…", field="out")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise ConfigError(f"{out} holds files that `harness report` did not write; nothing was changed. Choose a new or "
                          "empty directory with out=…", field="out")
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by harness report\n")
    for old in ("data",):  # the previous report's sample data: ours (marker), replaced whole
        if (out / old).is_dir():
            shutil.rmtree(out / old)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:120] or "pack"


def verification_status(p: PackFacts) -> dict[str, str]:
    """The newest verdict for the pack's present manifest, as a badge."""
    current = [v for v in p.verdicts if v.current]
    if not current:
        return {"label": "stale verdicts only" if p.verdicts else "not verified", "css": "stale" if p.verdicts else ""}
    v = current[-1]
    return {"label": f"{v.verdict}" + ("" if v.signed_by else " (unsigned)"), "css": v.verdict}


@dataclass
class Site:
    out: Path
    pages: dict[str, str] = field(default_factory=dict)  # what → file name
    data: dict[str, Any] = field(default_factory=dict)  # report.json

    @property
    def index(self) -> Path:
        return self.out / "index.html"


class _Writer:
    def __init__(self, out: Path):
        from harness import __version__

        self.out, self.env = out, _env()
        self.common = {"written": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "version": __version__, "nav": []}

    def page(self, name: str, template: str, title: str, plots: bool = False, **ctx: Any) -> None:
        html = self.env.get_template(template).render(title=title, here=name, plots=plots, **self.common, **ctx)
        (self.out / name).write_text(html, encoding="utf-8")


def _pack_page(w: _Writer, p: PackFacts, chunk_size: int, page_size: int) -> tuple[str, dict[str, Any]]:
    from harness.records.store import RecordStore
    from harness.report.samples import write_benchmark

    name, key = f"pack-{slug(p.run_id)}.html", slug(p.run_id)
    diverged: dict[str, set[str]] = {}
    for v in p.verdicts:
        for bench, sid in v.diverged:
            diverged.setdefault(bench, set()).add(sid)
    store, browser, item_means, flags = RecordStore(p.path), {}, {}, {}
    for bench in p.benchmarks:
        rel = f"data/{key}/{slug(bench)}"
        bd = write_benchmark(store, bench, p.metric(bench), w.out / rel, rel, diverged=diverged.get(bench, ()), chunk_size=chunk_size)
        browser[bench] = {"index": bd.index_file, "dir": rel, "n": bd.n_samples}
        flags[bench] = bd.flag_counts
        item_means[bench] = _item_means(w.out / rel / "index.js")
    figs = {"scores": charts.scores([(p.run_id, p.benchmarks)]), "variance": charts.variance_split(p.benchmarks),
            "distribution": charts.distribution(item_means)}
    status = verification_status(p)
    w.page(name, "pack.html.j2", p.run_id, plots=True, p=p, status=status, charts=figs, facts=manifest_facts(p), data=data_rows(p),
           browser={"benchmarks": browser, "pageSize": page_size})
    facts = {"run_id": p.run_id, "page": name, "suite": p.suite, "model": p.model, "repeats": p.repeats,
             "manifest_sha256": p.manifest_sha256, "status": status, "benchmarks": p.benchmarks, "sample_flags": flags,
             "verdicts": [{"file": v.file, "verdict": v.verdict, "signed_by": v.signed_by, "current": v.current,
                           "counts": v.counts, "n_triples": len(v.triples)} for v in p.verdicts]}
    return name, facts


def _item_means(index_js: Path) -> list[float]:
    text = index_js.read_text(encoding="utf-8")
    doc = json.loads(text[text.index(",") + 1: text.rindex(")")])
    return [r[2] for r in doc["rows"] if r[2] is not None]


def build(packs: list[Path], out: Path, *, scores: Path | None = None, history: str | None = None, suite: str | None = None,
          threshold: float = 1.0, chunk_size: int = 200, page_size: int = 50) -> Site:
    """Read every input first (bad input is exit 2 before anything is written), then write the site."""
    from harness.report import comparison, leaderboard, summary_md, trend

    facts = [read_pack(p) for p in packs]
    board = leaderboard.read_scores(scores) if scores is not None else None
    nights = trend.read(history, suite) if history is not None else None
    if not facts and board is None and nights is None:
        raise ConfigError("nothing to report: give one or more packs, scores=… or trend=true", field="packs")
    compared = comparison.compare(facts, threshold) if len(facts) > 1 else []

    claim(out)
    (out / "assets").mkdir(exist_ok=True)
    for f in ASSETS.iterdir():
        shutil.copyfile(f, out / "assets" / f.name)
    (out / "assets" / "plotly.min.js").write_text(charts.plotly_js(), encoding="utf-8")
    w, site = _Writer(out), Site(out)
    nav = [{"href": "index.html", "label": "overview"}]
    nav += [{"href": f"pack-{slug(p.run_id)}.html", "label": p.run_id} for p in facts]
    nav += [{"href": "compare.html", "label": "comparison"}] if compared else []
    nav += [{"href": "leaderboard.html", "label": "leaderboard"}] if board else []
    nav += [{"href": "trend.html", "label": "trend"}] if nights else []
    w.common["nav"] = nav
    site.data = {"schema_version": 1, "packs": [], "comparisons": [], "leaderboard": None, "trend": None}
    for p in facts:
        name, data = _pack_page(w, p, chunk_size, page_size)
        site.pages[p.run_id] = name
        site.data["packs"].append(data)
    if compared:
        comparison.write_page(w, compared, threshold)
        site.pages["comparison"] = "compare.html"
        site.data["comparisons"] = [c.to_dict() for c in compared]
    if board:
        leaderboard.write_page(w, board)
        site.pages["leaderboard"] = "leaderboard.html"
        site.data["leaderboard"] = {"source": str(board.source), "status": board.doc["status"], "table": board.doc["table"]}
    if nights:
        trend.write_page(w, nights)
        site.pages["trend"] = "trend.html"
        site.data["trend"] = {"location": nights.location, "rows": nights.rows}
    w.page("index.html", "index.html.j2", "Report", packs=[
        {"run_id": d["run_id"], "page": d["page"], "suite": d["suite"], "model": d["model"], "repeats": d["repeats"],
         "n_benchmarks": len(d["benchmarks"]), "status": d["status"]} for d in site.data["packs"]],
        comparison=f"{len(compared)} against {facts[0].run_id}" if compared else None, leaderboard=bool(board), trend=bool(nights))
    (out / "report.json").write_text(json.dumps(site.data, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    (out / "summary.md").write_text(summary_md.render(site.data), encoding="utf-8")
    return site
