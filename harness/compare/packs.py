"""What a comparison reads of an evidence pack: its spec and manifest, and per benchmark the item × run
matrix of its primary metric with each item's document and prompt hashes, streamed from the records
(rows only: token arrays are never read)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.errors import RecordError
from harness.pack import layout
from harness.pack.summary import ScoreRow, excluded_items, scalar_metrics, score_matrix, unscored_kind
from harness.records.store import RecordStore


@dataclass
class PackInfo:
    """A finished pack's identity and settings (spec.json, manifest.json)."""

    path: Path
    run_id: str
    spec: dict[str, Any]
    manifest: dict[str, Any]

    @property
    def benchmarks(self) -> dict[str, Any]:
        return self.spec.get("benchmarks") or {}


@dataclass
class BenchmarkItems:
    """One benchmark's scored items: `matrix[i, r]` is item `ids[i]`'s metric in run r (raw metric units).
    `keys[id]` = (doc sha256, first prompt sha256): what the item was asked. `excluded`: items left out
    because a run is unscored (as the pack's own summary leaves them out)."""

    metric: str
    ids: list[str]
    matrix: np.ndarray
    keys: dict[str, tuple[str | None, str | None]]
    excluded: set[str] = field(default_factory=set)

    def index(self) -> dict[str, int]:
        return {sid: i for i, sid in enumerate(self.ids)}


def _json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise RecordError(f"not a finished evidence pack: {path.name} is missing", file=path) from None
    except json.JSONDecodeError as err:
        raise RecordError(f"not valid JSON ({err.msg}, line {err.lineno})", file=path) from None


def load_pack(path: Path | str) -> PackInfo:
    path = Path(path)
    if not path.is_dir():
        raise RecordError("evidence pack directory not found", file=path)
    manifest = _json(path / layout.MANIFEST)
    spec = _json(path / layout.SPEC)
    if not isinstance(spec.get("benchmarks"), dict):
        raise RecordError("no benchmarks recorded", file=path / layout.SPEC, field="benchmarks")
    return PackInfo(path, str(manifest.get("run_id") or path.name), spec, manifest)


def read_items(pack: PackInfo, benchmark: str) -> BenchmarkItems:
    """Stream one benchmark's rows into its score matrix; a pack missing runs is refused, naming them."""
    meta = pack.benchmarks[benchmark]
    metric, repeats = meta.get("metric"), int(pack.spec.get("repeats") or 0)
    if not metric or repeats < 1:
        raise RecordError(f"benchmark {benchmark} names no metric or repeats", file=pack.path / layout.SPEC, field=f"benchmarks.{benchmark}.metric")
    store = RecordStore(pack.path)
    rows: list[ScoreRow] = []
    keys: dict[str, tuple[str | None, str | None]] = {}
    for rec in store.iter_rows(benchmark):
        rows.append(ScoreRow(rec.sample_id, rec.task, rec.run, scalar_metrics(rec.metrics), unscored_kind(rec.score_error)))
        if rec.sample_id not in keys:
            keys[rec.sample_id] = (rec.doc_sha256, rec.responses[0].prompt_sha256 if rec.responses else None)
    excluded, _ = excluded_items(rows)
    ids, matrix, problems = score_matrix(rows, metric, repeats, excluded)
    if problems:
        raise RecordError(f"benchmark {benchmark} is incomplete: {'; '.join(problems[:3])}", file=store.records_path(benchmark), field=metric)
    return BenchmarkItems(metric, ids, np.asarray(matrix, dtype=np.float64).reshape(len(ids), repeats), keys, excluded)


def higher_is_better(meta: dict[str, Any]) -> bool:
    """From lm-eval's per-task `higher_is_better` for the primary metric; true when nothing says otherwise."""
    name = str(meta.get("metric", "")).split(",")[0]
    said = [t.get("higher_is_better", {}).get(name) for t in ((meta.get("lmeval") or {}).get("tasks") or {}).values()]
    said = [s for s in said if s is not None]
    return not said or any(said)
