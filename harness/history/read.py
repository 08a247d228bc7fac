"""What the history keeps of an evidence pack: its identity and setup (one entry row), each benchmark's
scores as the pack's summary gives them, and every sample-run's primary metric (streamed, harness.records.scan)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from harness.compare.packs import load_pack
from harness.errors import RecordError
from harness.pack import layout
from harness.pack.hashing import sha256_file
from harness.records.scan import scan_rows
from harness.records.store import RecordStore

_STEP = re.compile(r"(\d+)(?!.*\d)")


def step_of(checkpoint: str | None) -> int | None:
    """The training step a checkpoint's directory name carries (checkpoint-1200, step_1200, iter_0001200): its
    last number; None when it has none."""
    if not checkpoint:
        return None
    m = _STEP.search(Path(str(checkpoint).rstrip("/")).name)
    return int(m.group(1)) if m else None


def _json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise RecordError(f"cannot read ({type(err).__name__}: {err})", file=path) from None


def _config_hash(pack: Path) -> str | None:
    """sha256 of the resolved config as `harness run` hashes it (the run id carries its first 8 hex)."""
    path = pack / layout.CONFIG
    if not path.is_file():
        return None
    from harness.config.spec import config_hash

    try:
        return config_hash(yaml.safe_load(path.read_text()) or {})
    except yaml.YAMLError as err:
        raise RecordError(f"not valid YAML ({err})", file=path) from None


def _verdict(pack: Path, manifest_sha: str) -> str | None:
    """The newest verification verdict made for this very manifest (PASS/FAIL), else None."""
    found = None
    for path in sorted((pack / layout.VERIFICATION).glob("*.json")):
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and doc.get("manifest_sha256") == manifest_sha and doc.get("verdict"):
            found = str(doc["verdict"])
    return found


def entry_of(pack_dir: Path, *, checkpoint: str | None = None, step: int | None = None) -> dict[str, Any]:
    """The entry row of a finished pack (no entry_id, added_at, status yet)."""
    info = load_pack(pack_dir)
    pack = info.path.resolve()
    summary = _json(pack / layout.SUMMARY)
    model = _json(pack / layout.MODEL) if (pack / layout.MODEL).is_file() else {}
    manifest_sha = sha256_file(pack / layout.MANIFEST)
    engine = info.manifest.get("engine") or {}
    checkpoint = checkpoint or model.get("path") or engine.get("path")
    return {
        "run_id": info.run_id, "pack": str(pack), "manifest_sha256": manifest_sha, "created": info.manifest.get("created"),
        "suite": info.spec.get("suite") or summary.get("suite"), "model": summary.get("model"),
        "checkpoint": checkpoint, "step": step if step is not None else step_of(checkpoint), "config_hash": _config_hash(pack),
        "model_hashes": json.dumps({k: model.get(k) for k in ("weights", "config", "tokenizer", "chat_template") if k in model}, sort_keys=True),
        "data_revisions": json.dumps([{k: d.get(k) for k in ("id", "config", "revision", "source")} for d in info.manifest.get("datasets") or []]),
        "engine": json.dumps({k: engine.get(k) for k in ("engine", "vllm_version", "dtype", "batch_invariant") if k in engine}, sort_keys=True),
        "hardware": json.dumps(info.manifest.get("hardware") or {}, sort_keys=True), "verdict": _verdict(pack, manifest_sha),
    }


def benchmark_rows(pack_dir: Path) -> list[dict[str, Any]]:
    summary = _json(Path(pack_dir) / layout.SUMMARY)
    rows = []
    for name, b in (summary.get("benchmarks") or {}).items():
        ci = b.get("ci95") or [None, None]
        rows.append({"benchmark": name, "metric": b.get("metric"), "area": b.get("area"), "n_items": b.get("n_items"),
                     "n_runs": b.get("n_runs"), "mean": b.get("mean"), "se": b.get("se"), "ci_low": ci[0], "ci_high": ci[1],
                     "run_scores": json.dumps(b.get("run_scores")), "complete": int(bool(b.get("complete")))})
    return rows


def sample_rows(pack_dir: Path, entry_id: str) -> Iterator[tuple]:
    """(entry_id, benchmark, sample_id, run, value, unscored) per sample-run: its primary metric (None when
    unscored, with why)."""
    info = load_pack(pack_dir)
    store = RecordStore(info.path)
    for name, meta in info.benchmarks.items():
        path = store.records_path(name)
        if not path.exists():
            raise RecordError(f"benchmark {name} has no records", file=path)
        metric = meta.get("metric")
        for row in scan_rows(path, hashes=False):
            value = row.metrics.get(metric)
            yield (entry_id, name, row.sample_id, row.run, float(value) if isinstance(value, (int, float)) else None,
                   None if row.score_error is None else row.score_error[:200])
