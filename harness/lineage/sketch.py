"""Sketches: a reference model's test quantities stored without its weights (see features.py).

`harness lineage sketch <checkpoint> out=<dir>` writes `sketch.json` (settings, metadata, tensor shapes and
hashes, anchor keys) and `sketch.safetensors` (anchor rows, element samples, projected MLP rows, Q/K Grams).
A verification site keeps a library of these for the open models it checks against.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from harness.errors import ConfigError
from harness.lineage.checkpoint import Checkpoint
from harness.lineage.features import SKETCH_VERSION, CheckpointReference, Settings


def make_sketch(checkpoint: str | Path, out: str | Path, settings: Settings | None = None, name: str | None = None) -> Path:
    from safetensors.numpy import save_file

    ref = CheckpointReference(Checkpoint.open(checkpoint), settings, name)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    meta = {"schema_version": SKETCH_VERSION, "name": ref.name, "settings": dataclasses.asdict(ref.settings), "metadata": ref.metadata(),
            "components": {}, "tensors": {}}
    for name_, (shape, sha, sample) in ref.tensors().items():
        meta["tensors"][name_] = {"shape": list(shape), "sha256": sha}
        arrays[f"elements/{name_}"] = sample.astype(np.float32)
    for comp in ref.components():
        entry: dict = {"residual_dim": ref.residual_dim(comp), "layers": ref.layers(comp)}
        anchor = ref.anchor(comp)
        if anchor is not None:
            entry["anchor_keys"] = anchor[0]
            arrays[f"anchor/{comp}"] = anchor[1].astype(np.float32)
        for layer in entry["layers"]:
            mlp = ref.mlp(comp, layer)
            if mlp is not None:
                arrays[f"mlp/{comp}/{layer}/gate"], arrays[f"mlp/{comp}/{layer}/up"] = (m.astype(np.float32) for m in mlp)
            for role, gram in ref.qk(comp, layer).items():
                arrays[f"qk/{comp}/{layer}/{role}"] = gram.astype(np.float32)
        meta["components"][comp] = entry
    save_file(arrays, str(out / "sketch.safetensors"))
    (out / "sketch.json").write_text(json.dumps(meta, ensure_ascii=False) + "\n")
    return out


class SketchReference:
    def __init__(self, path: str | Path):
        from safetensors.numpy import load_file

        path = Path(path)
        meta_path = path / "sketch.json"
        if not meta_path.is_file():
            raise ConfigError("not a sketch directory (no sketch.json)", file=path, field="references")
        self.meta = json.loads(meta_path.read_text())
        if self.meta.get("schema_version") != SKETCH_VERSION:
            raise ConfigError(f"sketch schema {self.meta.get('schema_version')}, this harness reads {SKETCH_VERSION}", file=meta_path, field="schema_version")
        self.arrays = load_file(str(path / "sketch.safetensors"))
        self.name = self.meta["name"]
        self.settings = Settings(**self.meta["settings"])

    def components(self) -> list[str]:
        return sorted(self.meta["components"])

    def residual_dim(self, component: str) -> int:
        return int(self.meta["components"].get(component, {}).get("residual_dim", 0))

    def anchor(self, component: str):
        key = f"anchor/{component}"
        if key not in self.arrays:
            return None
        return self.meta["components"][component]["anchor_keys"], self.arrays[key]

    def tensors(self):
        return {n: (tuple(t["shape"]), t["sha256"], self.arrays[f"elements/{n}"]) for n, t in self.meta["tensors"].items()}

    def layers(self, component: str) -> list[int]:
        return list(self.meta["components"].get(component, {}).get("layers", []))

    def mlp(self, component: str, layer: int):
        g, u = f"mlp/{component}/{layer}/gate", f"mlp/{component}/{layer}/up"
        return (self.arrays[g], self.arrays[u]) if g in self.arrays else None

    def qk(self, component: str, layer: int):
        return {r: self.arrays[f"qk/{component}/{layer}/{r}"] for r in ("q", "k") if f"qk/{component}/{layer}/{r}" in self.arrays}

    def metadata(self) -> dict:
        return self.meta["metadata"]


def open_reference(path: str | Path, settings: Settings | None = None):
    path = Path(path)
    if (path / "sketch.json").is_file():
        return SketchReference(path)
    return CheckpointReference(Checkpoint.open(path), settings)
