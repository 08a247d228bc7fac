"""What a report shows of one evidence pack, read from the pack's own files: the summary and per-run scores, the
spec, the manifest's facts (model hashes, data revisions, engine, hardware) and the verifiers' verdicts.

Nothing is computed here that the pack already states: the numbers on a page are summary.json's, so a reader
can check the page against the pack. A file missing a field the page needs is bad input naming file and field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import RecordError
from harness.pack import layout


def _json(pack: Path, name: str) -> Any:
    path = pack / name
    if not path.is_file():
        raise RecordError("missing: not an evidence pack, or one whose job has not finished", file=path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise RecordError(f"not valid JSON ({err})", file=path) from None


def _need(ok: bool, pack: Path, name: str, fld: str, what: str) -> None:
    if not ok:
        raise RecordError(what, file=pack / name, field=fld)


@dataclass
class Verdict:
    """One `harness verify` verdict as the report shows it."""

    file: str
    created: str
    verdict: str
    signed_by: str | None  # the key id, None for an unsigned verdict
    manifest_sha256: str | None
    current: bool  # names the pack's present manifest (an older verdict is shown, marked stale)
    seed: Any
    fraction: Any
    samples: Any
    reasons: list[str]
    counts: dict[str, int]
    tolerance: dict[str, Any] | None
    protocol: dict[str, Any] | None
    triples: list[dict[str, Any]]  # benchmark, sample_id, run, kind, position, tokens, margins, detail

    @property
    def diverged(self) -> set[tuple[str, str]]:
        return {(t["benchmark"], t["sample_id"]) for t in self.triples if t["kind"] != "identical"}


@dataclass
class PackFacts:
    path: Path
    run_id: str
    suite: str
    model: str
    repeats: int
    benchmarks: dict[str, dict[str, Any]]  # summary.json's entry per benchmark (mean, se, ci95, run_scores, …)
    runs: dict[str, list[dict[str, Any]]]  # runs.json: per benchmark, per run, every metric's mean
    spec: dict[str, Any]
    manifest: dict[str, Any]
    model_hashes: dict[str, Any]
    manifest_sha256: str
    verdicts: list[Verdict] = field(default_factory=list)

    def metric(self, bench: str) -> str:
        return self.benchmarks[bench]["metric"]


def _triple(t: dict[str, Any]) -> dict[str, Any]:
    d = t.get("divergence") or {}
    return {"benchmark": t.get("benchmark"), "sample_id": t.get("sample_id"), "run": t.get("run"),
            "kind": d.get("kind", "identical"), "position": d.get("position"),
            "recorded_token": d.get("recorded_token"), "rerun_token": d.get("rerun_token"),
            "margin_recorded": d.get("margin_recorded"), "margin_rerun": d.get("margin_rerun"),
            "detail": d.get("detail", ""), "score_identical": t.get("score_identical", True)}


def read_verdicts(pack: Path, manifest_sha: str) -> list[Verdict]:
    """Every verdict under verification/, oldest first. One that is not a verdict is named, not skipped."""
    out = []
    for path in sorted((pack / layout.VERIFICATION).glob("*.json")):
        doc = _json(pack, f"{layout.VERIFICATION}/{path.name}")
        name = f"{layout.VERIFICATION}/{path.name}"
        _need(isinstance(doc, dict) and doc.get("verdict") in ("PASS", "FAIL"), pack, name, "verdict", "not a verdict (PASS or FAIL)")
        v = doc.get("verifier") or {}
        sig = doc.get("signature") or None
        counts = doc.get("counts") or {}
        out.append(Verdict(
            file=name, created=str(doc.get("created", "")), verdict=doc["verdict"],
            signed_by=sig.get("key_id") if isinstance(sig, dict) else None,
            manifest_sha256=doc.get("manifest_sha256"), current=doc.get("manifest_sha256") == manifest_sha,
            seed=v.get("seed"), fraction=v.get("fraction"), samples=v.get("samples"),
            reasons=[str(r) for r in doc.get("reasons") or []],
            counts={k: int(n) for k, n in counts.items() if isinstance(n, int)},
            tolerance=doc.get("tolerance"), protocol=doc.get("protocol"),
            triples=[_triple(t) for t in doc.get("triples") or [] if isinstance(t, dict)]))
    return out


def read_pack(pack: Path | str) -> PackFacts:
    from harness.pack.hashing import sha256_file

    pack = Path(pack).resolve()
    if not pack.is_dir():
        raise RecordError("evidence pack directory not found", file=pack)
    summary, runs = _json(pack, layout.SUMMARY), _json(pack, layout.RUNS)
    spec, manifest, model = _json(pack, layout.SPEC), _json(pack, layout.MANIFEST), _json(pack, layout.MODEL)
    _need(isinstance(summary, dict) and isinstance(summary.get("benchmarks"), dict) and summary["benchmarks"],
          pack, layout.SUMMARY, "benchmarks", "no benchmarks")
    for name, b in summary["benchmarks"].items():
        for key in ("metric", "mean", "se", "ci95", "run_scores", "n_items"):
            _need(isinstance(b, dict) and key in b, pack, layout.SUMMARY, f"benchmarks.{name}.{key}", "missing")
    _need(isinstance(runs, dict) and isinstance(runs.get("benchmarks"), dict), pack, layout.RUNS, "benchmarks", "missing")
    _need(isinstance(spec, dict) and isinstance(spec.get("benchmarks"), dict), pack, layout.SPEC, "benchmarks", "missing")
    _need(isinstance(manifest, dict), pack, layout.MANIFEST, "", "not a JSON object")
    sha = sha256_file(pack / layout.MANIFEST)
    return PackFacts(path=pack, run_id=str(summary.get("run_id") or manifest.get("run_id") or pack.name),
                     suite=str(summary.get("suite", "")), model=str(summary.get("model", "")),
                     repeats=int(summary.get("repeats") or spec.get("repeats") or 0), benchmarks=summary["benchmarks"],
                     runs=runs["benchmarks"], spec=spec, manifest=manifest, model_hashes=model if isinstance(model, dict) else {},
                     manifest_sha256=sha, verdicts=read_verdicts(pack, sha))


def manifest_facts(p: PackFacts) -> list[tuple[str, str]]:
    """The manifest's facts a reader checks first, as (label, value) rows."""
    m, e = p.manifest, p.manifest.get("engine") or {}
    hw = m.get("hardware") or {}
    rows = [("run id", p.run_id), ("suite", p.suite), ("model", p.model), ("runs", str(p.repeats)),
            ("manifest sha256", p.manifest_sha256), ("created", str(m.get("created", ""))),
            ("harness", str(m.get("harness_version", ""))),
            ("engine", " ".join(str(x) for x in (e.get("engine"), e.get("vllm_version")) if x)),
            ("engine arguments", json.dumps(e.get("engine_args") or {}, sort_keys=True)),
            ("model path", str(p.model_hashes.get("path") or e.get("path") or "")),
            ("hardware", ", ".join(str(x) for x in (hw.get("cpu"), f"{hw.get('cpu_count')} CPUs" if hw.get("cpu_count") else None,
                                                     ", ".join(str(g) for g in hw.get("gpus") or []) or "no GPU") if x))]
    for kind in ("weights", "tokenizer"):
        for name, digest in (p.model_hashes.get(kind) or {}).items():
            rows.append((f"{kind}: {name}", str(digest)))
    for key in ("config", "chat_template"):
        if p.model_hashes.get(key):
            rows.append((f"model {key}", str(p.model_hashes[key])))
    return rows


def data_rows(p: PackFacts) -> list[dict[str, Any]]:
    """Datasets read: id, config, source, revision (None: unpinned), file hashes."""
    out = []
    for d in p.manifest.get("datasets") or []:
        if isinstance(d, dict):
            out.append({"id": d.get("id"), "config": d.get("config"), "source": d.get("source"),
                        "revision": d.get("revision"), "files": len(d.get("files") or {})})
    return out
