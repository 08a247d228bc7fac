"""A reference model reduced to what the tests need — computed from its checkpoint at test time, or stored
as a **sketch** (`harness lineage sketch <checkpoint> lineage.out=<dir>`) so a verification site keeps a
library of open models without their weights. Both are the same object: a sketch gives the verdicts of
its checkpoint (tested).

`sketch.json`: provenance (name, revision, file hashes), settings, layout, per-tensor hashes, anchor keys.
`sketch.safetensors`: Grams over the coordinate subset per layer and kind, sampled units in k directions,
full-width Grams summed over layers (anchor-free alignment), anchor rows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harness.errors import ConfigError
from harness.lineage import stats
from harness.lineage.checkpoint import Checkpoint, revision_of, tokenizer_vocab
from harness.lineage.features import (
    SKETCH_VERSION,
    Settings,
    anchor_ids,
    anchor_rows,
    coordinate_subset,
    kind_gram,
    layer_groups,
    projection,
    tensor_hashes,
    unit_sample,
    vocab_rows,
)


@dataclass
class Summary:
    meta: dict
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.meta["name"]

    @property
    def settings(self) -> Settings:
        return Settings(**self.meta["settings"])

    def component(self, comp: str) -> dict:
        return self.meta["components"].get(comp, {})

    def components(self) -> list[str]:
        return sorted(self.meta["components"])


def file_hashes(path: Path) -> dict[str, str]:
    """sha256 of every weight, config and tokenizer file: the reference's provenance in the report."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file() and (p.suffix in (".safetensors", ".json", ".model", ".txt")))
    out = {}
    for f in files:
        h = hashlib.sha256()
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 24), b""):
                h.update(block)
        out[f.name] = h.hexdigest()
    return out


def summarise(ck: Checkpoint, settings: Settings | None = None, name: str | None = None, revision: str | None = None) -> Summary:
    """Stream a reference checkpoint once (one layer at a time) into its Summary."""
    settings = settings or Settings()
    arrays: dict[str, np.ndarray] = {}
    vocab = tokenizer_vocab(ck.path)
    meta: dict = {"schema_version": SKETCH_VERSION, "name": name or Path(ck.path).name, "path": str(ck.path),
                  "revision": revision or revision_of(ck.path), "files": file_hashes(ck.path),
                  "architectures": ck.config.get("architectures"), "vocab_size": len(vocab or {}),
                  "settings": dataclasses.asdict(settings), "tensors": {}, "components": {}, "unmapped": ck.unmapped}
    for tname, info in ck.tensors.items():
        sha, value = tensor_hashes(ck, tname)
        meta["tensors"][tname] = {"shape": list(info.shape), "dtype": info.dtype, "sha256": sha, "value_sha256": value}
    for comp in ck.components():
        entry = _component(ck, comp, settings, arrays)
        if entry:
            meta["components"][comp] = entry
    return Summary(meta, arrays)


def _component(ck: Checkpoint, comp: str, settings: Settings, arrays: dict) -> dict:
    if comp == "embeddings":
        return {}
    width = ck.residual_width(comp)
    layers = ck.layers(comp)
    if width is None or not layers:
        return {}
    seed = settings.seed
    coords = coordinate_subset(width, settings.gram_coords, seed)
    proj = projection(width, settings.k, seed)
    joint = width <= settings.max_joint_width
    agg: dict[str, np.ndarray] = {}
    entry: dict = {"width": width, "layers": layers, "groups": {}, "head_dim": ck.dims(comp).head_dim}
    for layer in layers:
        groups = []
        for group, kinds, head_dim in layer_groups(ck, comp, layer):
            groups.append(group)
            for kind, rows in kinds.items():
                arrays[f"gram/{comp}/{layer}/{group}/{kind}"] = stats.correlation_normalise(kind_gram(kind, rows, head_dim, coords)).astype(np.float32)
                if joint and group != "router":
                    full = kind_gram(kind, rows, head_dim, None)
                    agg[kind] = agg.get(kind, 0) + full / (np.linalg.norm(full) or 1)
                pick = unit_sample(rows.shape[0], settings.n_units, seed, "rows", comp, layer, group, kind)
                arrays[f"rows/{comp}/{layer}/{group}/{kind}"] = rows[pick][:, coords].astype(np.float32)
                arrays[f"rowsidx/{comp}/{layer}/{group}/{kind}"] = pick.astype(np.int64)
                if group.startswith("mlp:"):
                    pick = unit_sample(rows.shape[0], settings.n_units, seed, comp, layer, group)
                    u = rows[pick]
                    arrays[f"units/{comp}/{layer}/{group}/{kind}"] = (u if proj is None else u @ proj.T).astype(np.float32)
            del kinds
        entry["groups"][str(layer)] = groups
    for kind, m in agg.items():
        arrays[f"agg/{comp}/{kind}"] = m.astype(np.float32)
    for which, rows in vocab_rows(ck, comp, settings).items():
        arrays[f"gram/embeddings/vocab/{which}"] = stats.correlation_normalise(stats.unit_gram(rows, coords)).astype(np.float32)
    anchors = anchor_ids(ck, comp, settings)
    if anchors is not None:
        keys, ids = anchors
        entry["anchor_keys"] = keys
        for which, rows in anchor_rows(ck, comp, ids).items():
            arrays[f"anchor/{comp}/{which}"] = rows.astype(np.float32)
    return entry


def save_sketch(summary: Summary, out: str | Path) -> Path:
    from safetensors.numpy import save_file

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: np.ascontiguousarray(v) for k, v in summary.arrays.items()}, str(out / "sketch.safetensors"))
    (out / "sketch.json").write_text(json.dumps(summary.meta, ensure_ascii=False) + "\n")
    return out


def load_sketch(path: str | Path) -> Summary:
    from safetensors.numpy import load_file

    path = Path(path)
    meta_path = path / "sketch.json"
    if not meta_path.is_file():
        raise ConfigError("not a sketch directory (no sketch.json)", file=path, field="references")
    try:
        meta = json.loads(meta_path.read_text())
    except ValueError:
        raise ConfigError("not valid JSON", file=meta_path, field="sketch") from None
    if meta.get("schema_version") != SKETCH_VERSION:
        raise ConfigError(f"sketch schema {meta.get('schema_version')}, this harness reads {SKETCH_VERSION}: re-make the sketch",
                          file=meta_path, field="schema_version")
    weights = path / "sketch.safetensors"
    if not weights.is_file():
        raise ConfigError("the sketch has no sketch.safetensors", file=path, field="references")
    return Summary(meta, load_file(str(weights)))


def open_reference(path: str | Path, settings: Settings | None = None, revision: str | None = None) -> Summary:
    path = Path(path)
    if (path / "sketch.json").is_file():
        return load_sketch(path)
    return summarise(Checkpoint.open(path, field_name="references"), settings, revision=revision)
