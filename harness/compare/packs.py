"""What a comparison reads of an evidence pack: its spec and manifest, and per benchmark the item × run
matrix of its primary metric with each item's document and prompt hashes, streamed from the records
(rows only, harness.records.scan: token arrays are never read)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.errors import RecordError
from harness.pack import layout
from harness.records.scan import scan_rows
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


def _scalar(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def read_items(pack: PackInfo, benchmark: str) -> BenchmarkItems:
    """Stream one benchmark's rows (harness.records.scan: no token arrays, no full parse) into its score
    matrix. Items with an unscored run are left out, as the pack's summary leaves them out; a pack missing
    runs or the metric is refused, naming them."""
    meta = pack.benchmarks[benchmark]
    metric, repeats = meta.get("metric"), int(pack.spec.get("repeats") or 0)
    path = RecordStore(pack.path).records_path(benchmark)
    if not metric or repeats < 1:
        raise RecordError(f"benchmark {benchmark} names no metric or repeats", file=pack.path / layout.SPEC, field=f"benchmarks.{benchmark}.metric")
    if not path.exists():
        raise RecordError(f"benchmark {benchmark} has no records", file=path)
    index: dict[str, int] = {}
    keys: dict[str, tuple[str | None, str | None]] = {}
    excluded: set[str] = set()
    at: list[int] = []
    runs: list[int] = []
    values: list[float] = []
    problems: list[str] = []
    for row in scan_rows(path):
        i = index.get(row.sample_id)
        if i is None:
            i = index[row.sample_id] = len(index)
            keys[row.sample_id] = (row.doc_sha256, row.prompt_sha256)
        if row.score_error is not None:
            excluded.add(row.sample_id)
            continue
        x = _scalar(row.metrics.get(metric))
        if x is None or not 0 <= row.run < repeats:
            problems.append(f"{row.sample_id} run {row.run}: " + ("no scalar value for " + metric if x is None else f"not one of {repeats} runs"))
            continue
        at.append(i)
        runs.append(row.run)
        values.append(x)
    matrix = np.full((len(index), repeats), np.nan)
    matrix[at, runs] = values
    ids = list(index)
    keep = np.array([sid not in excluded for sid in ids], dtype=bool)
    missing = np.flatnonzero(np.isnan(matrix).any(axis=1) & keep)
    problems += [f"{ids[i]}: runs {np.flatnonzero(np.isnan(matrix[i])).tolist()} not recorded" for i in missing[:3]]
    if problems:
        raise RecordError(f"benchmark {benchmark} is incomplete: {'; '.join(problems[:3])}", file=path, field=metric)
    return BenchmarkItems(metric, [sid for sid, k in zip(ids, keep) if k], matrix[keep], keys, excluded)


def higher_is_better(meta: dict[str, Any]) -> bool:
    """From lm-eval's per-task `higher_is_better` for the primary metric; true when nothing says otherwise."""
    name = str(meta.get("metric", "")).split(",")[0]
    said = [t.get("higher_is_better", {}).get(name) for t in ((meta.get("lmeval") or {}).get("tasks") or {}).values()]
    said = [s for s in said if s is not None]
    return not said or any(said)
