"""Integrity of a pack before any compute: file hashes, the verifier's copy of the model, and scores
recomputed from the records (the records themselves are checked in one streamed pass: harness.verify.scan)."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from harness.errors import RecordError
from harness.pack import layout
from harness.pack.hashing import model_hashes, pack_files
from harness.pack.summary import benchmark_summary, run_metrics
from harness.verify.problems import Problem


def load_json(pack: Path, name: str) -> Any:
    path = pack / name
    if not path.is_file():
        raise RecordError("missing: not an evidence pack, or an incomplete one", file=path)
    try:
        return json.loads(path.read_text())
    except ValueError as err:
        raise RecordError(f"not valid JSON ({err})", file=path) from None


def check_manifest(pack: Path, manifest: dict) -> list[Problem]:
    recorded, actual = manifest.get("files", {}), pack_files(pack)
    out = []
    for name in sorted(set(recorded) | set(actual)):
        if name not in actual:
            out.append(Problem("manifest", name, "listed in the manifest but missing from the pack"))
        elif name not in recorded:
            out.append(Problem("manifest", name, "in the pack but not in the manifest (added after the run)"))
        elif recorded[name] != actual[name]:
            out.append(Problem("manifest", name, f"sha256 {actual[name][:12]}… differs from the manifest's {recorded[name][:12]}… (edited after the run)"))
    return out


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return not (a == b or (math.isnan(a) and math.isnan(b)))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() != b.keys() or any(_differs(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) != len(b) or any(_differs(x, y) for x, y in zip(a, b))
    return a != b


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Every leaf where the recorded (a) and recomputed (b) documents differ, as "path: recorded …, recomputed …"."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str) if k not in a or k not in b or _differs(a[k], b[k])
                for d in _differences(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and any(isinstance(x, (dict, list)) for x in a):
        return [d for i, (x, y) in enumerate(zip(a, b)) if _differs(x, y) for d in _differences(x, y, f"{path}[{i}]")]
    return [f"{path}: recorded {a!r}, recomputed {b!r}"]


def _explain(a: Any, b: Any, path: str) -> str:
    diffs = _differences(a, b, path)
    return "; ".join(diffs[:3]) + (f"; and {len(diffs) - 3} more" if len(diffs) > 3 else "")


# What lmeval_results.json derives from the records and spec.json alone (not the date, timings or paths).
_LMEVAL_RECOMPUTED = ("results", "groups", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples")


def check_scores(pack: Path, spec: dict, records: dict[str, list[Any]]) -> list[Problem]:
    """runs.json, summary.json and lmeval_results.json must recompute exactly (bit for bit) from the records."""
    from harness.pack.lmeval import lmeval_results

    problems, docs = [], {}
    for name in (layout.RUNS, layout.SUMMARY, layout.LMEVAL):  # a deleted or mangled score file fails verification by name
        try:
            docs[name] = load_json(pack, name)
        except RecordError as err:
            problems.append(Problem("scores", name, err.message))
            docs[name] = {}
    runs_doc, summary_doc = docs[layout.RUNS], docs[layout.SUMMARY]
    for bench, meta in spec["benchmarks"].items():
        recs = records.get(bench, [])
        runs = json.loads(json.dumps(run_metrics(recs, int(spec["repeats"]))))
        summ = json.loads(json.dumps(benchmark_summary(recs, metric_key=meta["metric"], repeats=int(spec["repeats"]), n_samples=int(meta["n_samples"]), area=meta.get("area"))))
        rec_runs = runs_doc.get("benchmarks", {}).get(bench)
        rec_summ = summary_doc.get("benchmarks", {}).get(bench)
        if _differs(rec_runs, runs):
            problems.append(Problem("scores", layout.RUNS, f"{bench}: does not recompute from the records ({_explain(rec_runs, runs, 'run')})", field=f"benchmarks.{bench}"))
        if _differs(rec_summ, summ):
            problems.append(Problem("scores", layout.SUMMARY, f"{bench}: does not recompute from the records ({_explain(rec_summ, summ, bench)})", field=f"benchmarks.{bench}"))
    if not any("lmeval" in meta for meta in spec["benchmarks"].values()):
        return problems  # packs written before spec.json carried lm-eval's task metadata: not recomputable
    lmeval = json.loads(json.dumps(lmeval_results(spec, records, model={}, run_id="")))
    for key in _LMEVAL_RECOMPUTED:
        recorded = docs[layout.LMEVAL].get(key)
        if docs[layout.LMEVAL] and _differs(recorded, lmeval.get(key)):
            problems.append(Problem("scores", layout.LMEVAL, f"{key}: does not recompute from the records ({_explain(recorded, lmeval.get(key), key)})", field=key))
    return problems


def check_config_binding(config: dict, run_id: str | None) -> tuple[list[Problem], str]:
    """The run id ends in the hash of the config that made the pack (harness.config.spec.config_hash): an
    edited config.yaml, resealed into the manifest, no longer matches the name the team submitted.
    Returns the problems and a note for the report (a run id set by hand binds nothing)."""
    import re

    from harness.config.spec import config_hash

    digest = config_hash(config)[:8]
    match = re.fullmatch(r".+-([0-9a-f]{8})", str(run_id or ""))
    if config.get("run_id"):
        return [], f"not bound: the run id {run_id!r} was set by hand (run_id=…), it does not carry the config's hash {digest}"
    if match is None or digest != match.group(1):
        said = match.group(1) if match else "no hash"
        return [Problem("config", layout.CONFIG, f"hashes to {digest}, the run id {run_id!r} says {said} (edited after the run)",
                        field="run_id")], "mismatch"
    return [], f"bound: config.yaml hashes to {digest}, as the run id says"


def check_model(model_dir: Path, recorded: dict, tokenizer_dir: Path | None = None) -> list[Problem]:
    """The verifier's copy of the model must hash as the pack's model.json says (before anything loads)."""
    if not model_dir.is_dir():
        return [Problem("model", str(model_dir), "model directory not found")]
    actual = model_hashes(model_dir, tokenizer_dir)
    out = []
    for section in ("weights", "tokenizer"):
        rec, act = recorded.get(section) or {}, actual.get(section) or {}
        for name in sorted(set(rec) | set(act)):
            if rec.get(name) != act.get(name):
                what = "missing" if name not in act else "not in the pack's model" if name not in rec else "sha256 differs"
                out.append(Problem("model", str(model_dir / name), f"{section} file {what}"))
    for key in ("config", "chat_template"):
        if recorded.get(key) != actual.get(key):
            out.append(Problem("model", str(model_dir), f"{key} hash differs from the pack's model.json", field=key))
    return out
