"""The parts of a sharded job, read and checked to belong together before a byte of the pack is written.

Every refusal names the part (its slice K/N and directory) and what differs: the config (any setting but
`run.shard` and where the pack goes), the model's hashes, the data (datasets' revisions and file hashes),
spec.json, the slicing (the same slice twice, a missing slice, samples claimed by two parts or by none),
or the part itself (unfinished, changed since its manifest, records outside its slice or missing).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.errors import RecordError
from harness.pack import layout
from harness.pack.hashing import pack_files, sha256_file
from harness.runner.shards import SHARD_FILE, part_name

_WHERE = ("out", "run_id", "results_dir", "hydra")  # where a pack goes, not what it holds


@dataclass
class Part:
    path: Path
    index: int
    count: int
    config: dict[str, Any]
    model: dict[str, Any]
    spec: dict[str, Any]
    manifest: dict[str, Any]
    manifest_sha256: str
    samples: dict[str, list[str]]  # per benchmark, the sample ids of this slice

    @property
    def name(self) -> str:
        return f"part {self.index}/{self.count} ({self.path})"


def _load(path: Path, what: str) -> Any:
    if not path.is_file():
        raise RecordError(f"missing {what}", file=path)
    try:
        return yaml.safe_load(path.read_text()) if path.suffix == ".yaml" else json.loads(path.read_text())
    except (ValueError, yaml.YAMLError) as err:
        raise RecordError(f"{what} is not readable ({err})", file=path) from None


def read_part(path: Path) -> Part:
    path = Path(path)
    if not (path / SHARD_FILE).is_file():
        raise RecordError("not a part of a sharded job (no shard.json): parts are the directories `run.shard=K/N` "
                          "writes, <pack>.parts/shard-K-of-N", file=path)
    shard = _load(path / SHARD_FILE, "shard.json")
    if not (path / layout.MANIFEST).is_file():
        raise RecordError(f"part {shard.get('shard')} is not finished (no manifest): its job was killed or is still running; "
                          "run its command again (the same overrides) to resume it", file=path)
    return Part(path=path, index=int(shard["index"]), count=int(shard["count"]),
                config=_load(path / layout.CONFIG, "config.yaml"), model=_load(path / layout.MODEL, "model.json"),
                spec=_load(path / layout.SPEC, "spec.json"), manifest=_load(path / layout.MANIFEST, "manifest.json"),
                manifest_sha256=sha256_file(path / layout.MANIFEST), samples=shard["samples"])


def what_config(config: dict[str, Any]) -> dict[str, Any]:
    """The settings that decide a part's records: all but run.shard and where the pack goes."""
    out = {k: v for k, v in config.items() if k not in _WHERE}
    if isinstance(out.get("run"), dict):
        out["run"] = {k: v for k, v in out["run"].items() if k != "shard"}
    return out


def first_difference(a: Any, b: Any, prefix: str = "") -> str:
    """The dotted key of the first place two JSON-like values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b or a[key] != b[key]:
                return first_difference(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else str(key))
        return prefix
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{prefix}.{i}" if prefix else str(i))
    return prefix or "(the whole document)"


_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")


def _without_addresses(doc: Any) -> Any:
    """spec.json as it reads in any process: lm-eval's task configs show functions as "<function f at 0x7f…>",
    an address that differs from process to process and says nothing about the task."""
    return json.loads(_ADDRESS.sub(" at 0x…>", json.dumps(doc, sort_keys=True)))


def _check_files(part: Part) -> None:
    recorded, actual = part.manifest.get("files") or {}, pack_files(part.path)
    changed = sorted(n for n in set(recorded) | set(actual) if recorded.get(n) != actual.get(n))
    if changed:
        raise RecordError(f"{part.name}: {', '.join(changed[:3])}{'…' if len(changed) > 3 else ''} changed since the part's "
                          "manifest was written (edited, or a job still writing); nothing was merged", file=part.path / changed[0])


def _same(parts: list[Part], what: str, get, file: str) -> None:
    first = parts[0]
    for p in parts[1:]:
        a, b = get(first), get(p)
        if a != b:
            key = first_difference(a, b)
            raise RecordError(f"{p.name} comes from another {what} than {first.name} ({key} differs); nothing was merged",
                              file=p.path / file, field=key)


def _slices(parts: list[Part]) -> None:
    counts = {p.count for p in parts}
    if len(counts) > 1:
        raise RecordError("the parts split the job differently: " + "; ".join(f"{p.name} is one of {p.count}" for p in parts),
                          file=parts[0].path.parent, field="run.shard")
    n = parts[0].count
    seen: dict[int, Part] = {}
    for p in parts:
        if p.index in seen:
            raise RecordError(f"overlapping parts: {seen[p.index].name} and {p.name} are both slice {p.index}/{n}",
                              file=p.path, field="run.shard")
        seen[p.index] = p
    missing = [k for k in range(1, n + 1) if k not in seen]
    if missing:
        where = parts[0].path.parent
        raise RecordError(f"missing part(s): {', '.join(f'{k}/{n} (expected at {where / part_name(k, n)})' for k in missing)}; "
                          "run those shards (run.shard=K/N, the same overrides) before merging", file=where, field="run.shard")


def _samples(parts: list[Part]) -> None:
    owner: dict[tuple[str, str], Part] = {}
    for p in parts:
        for bench, ids in p.samples.items():
            for sid in ids:
                if (bench, sid) in owner:
                    raise RecordError(f"overlapping parts: {owner[bench, sid].name} and {p.name} both hold {bench} sample {sid}",
                                      file=p.path / SHARD_FILE, field=f"samples.{bench}")
                owner[bench, sid] = p
    for bench, meta in parts[0].spec["benchmarks"].items():
        have = sum(1 for b, _ in owner if b == bench)
        if have != int(meta["n_samples"]):
            raise RecordError(f"the parts hold {have} of benchmark {bench}'s {meta['n_samples']} samples; nothing was merged",
                              file=parts[0].path / layout.SPEC, field=f"benchmarks.{bench}.n_samples")


def record_keys(path: Path) -> list[tuple[str, int]]:
    """(sample_id, run) of every row of a records file, read with json alone (merges read millions)."""
    if not path.exists():
        return []
    out = []
    with open(path, "rb") as fh:
        for raw in fh:
            if raw.endswith(b"\n") and raw.strip():
                row = json.loads(raw)
                out.append((row["sample_id"], int(row["run"])))
    return out


def _records(part: Part, repeats: int) -> None:
    for bench, ids in part.samples.items():
        path = part.path / layout.RECORDS / f"{bench}.jsonl"
        keys = record_keys(path)
        expected = {(sid, r) for sid in ids for r in range(repeats)}
        have = set(keys)
        if len(have) != len(keys):
            raise RecordError(f"{part.name}: a sample-run is recorded twice", file=path, field="sample_id")
        if have - expected:
            sid, run = sorted(have - expected)[0]
            raise RecordError(f"{part.name} holds {len(have - expected)} record(s) outside its slice (e.g. {sid} run {run}); "
                              "nothing was merged", file=path, field="sample_id")
        if expected - have:
            sid, run = sorted(expected - have)[0]
            raise RecordError(f"{part.name} lacks {len(expected - have)} of its {len(expected)} {bench} sample-runs (e.g. {sid} "
                              f"run {run}); run its shard again to finish it", file=path, field="sample_id")


def check_parts(paths: list[Path]) -> list[Part]:
    """Read the parts and check they make one pack; returned in slice order. Raises RecordError naming them."""
    if not paths:
        raise RecordError("no parts given: harness merge PART_DIR… (or the <pack>.parts directory) out=PACK", field="parts")
    parts = [read_part(p) for p in paths]
    _slices(parts)
    parts.sort(key=lambda p: p.index)
    _same(parts, "config", lambda p: what_config(p.config), layout.CONFIG)
    _same(parts, "model (weights, tokenizer or chat template hashes)", lambda p: p.model, layout.MODEL)
    _same(parts, "data revision (datasets' revisions or file hashes)", lambda p: p.manifest.get("datasets"), layout.MANIFEST)
    _same(parts, "suite specification", lambda p: _without_addresses(p.spec), layout.SPEC)
    _same(parts, "run", lambda p: p.manifest.get("run_id"), layout.MANIFEST)
    _samples(parts)
    for p in parts:
        _check_files(p)
        _records(p, int(p.spec["repeats"]))
    return parts
