"""Streaming access to a safetensors checkpoint: headers and the shard index first, then one tensor (or a
slice of rows) at a time, in fp32, never the whole model. Bytes read are counted for the progress bar."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harness.errors import ConfigError

LAYER = re.compile(r"\.(?:layers|layer|blocks|h)\.(\d+)\.")
COMPONENT_PATTERNS = [
    ("vision_encoder", re.compile(r"(vision_tower|vision_model|visual|vision_encoder|image_encoder|vit)\b", re.I)),
    ("audio_encoder", re.compile(r"(audio_tower|audio_model|audio_encoder|whisper)\b", re.I)),
    ("embeddings", re.compile(r"(embed_tokens|wte|word_embeddings|lm_head)\b", re.I)),
]
ROLE_PATTERNS = {
    "gate": re.compile(r"(gate_proj|w1|fc1_gate)\.weight$"),
    "up": re.compile(r"(up_proj|w3|fc1|c_fc)\.weight$"),
    "q": re.compile(r"(q_proj|query|wq)\.weight$"),
    "k": re.compile(r"(k_proj|key|wk)\.weight$"),
}


def component_of(name: str) -> str:
    for comp, rx in COMPONENT_PATTERNS:
        if rx.search(name):
            return comp
    return "language_model"


def layer_of(name: str) -> int | None:
    m = LAYER.search(name)
    return int(m.group(1)) if m else None


def role_of(name: str) -> str | None:
    for role, rx in ROLE_PATTERNS.items():
        if rx.search(name):
            return role
    return None


@dataclass
class TensorInfo:
    name: str
    file: Path
    shape: tuple[int, ...]
    dtype: str
    nbytes: int


@dataclass
class Checkpoint:
    path: Path
    tensors: dict[str, TensorInfo]
    config: dict
    bytes_read: int = 0
    on_read: Callable[[int], None] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, path: str | Path) -> Checkpoint:
        path = Path(path)
        files = sorted(path.glob("*.safetensors")) if path.is_dir() else [path]
        if not files or not all(f.is_file() for f in files):
            raise ConfigError("no safetensors weights found", file=path, field="candidate")
        index = path / "model.safetensors.index.json" if path.is_dir() else None
        if index is not None and index.is_file():
            weight_map = json.loads(index.read_text())["weight_map"]
            files = sorted({path / f for f in weight_map.values()})
        tensors = {}
        for f in files:
            for name, info in _header(f).items():
                if name == "__metadata__":
                    continue
                start, end = info["data_offsets"]
                tensors[name] = TensorInfo(name, f, tuple(info["shape"]), info["dtype"], end - start)
        config_path = path / "config.json" if path.is_dir() else None
        config = json.loads(config_path.read_text()) if config_path and config_path.is_file() else {}
        return cls(path, tensors, config)

    @property
    def total_bytes(self) -> int:
        return sum(t.nbytes for t in self.tensors.values())

    def _count(self, n: int) -> None:
        self.bytes_read += n
        if self.on_read:
            self.on_read(n)

    def get(self, name: str) -> np.ndarray:
        """One tensor in fp32."""
        from safetensors import safe_open

        info = self.tensors[name]
        with safe_open(str(info.file), framework="pt") as fh:
            t = fh.get_tensor(name)
        self._count(info.nbytes)
        return t.float().numpy()

    def rows(self, name: str, index: Iterable[int]) -> np.ndarray:
        """Selected rows of a 2-D tensor in fp32, reading only those rows."""
        from safetensors import safe_open

        idx = np.asarray(list(index), dtype=np.int64)
        info = self.tensors[name]
        with safe_open(str(info.file), framework="pt") as fh:
            sl = fh.get_slice(name)
            out = np.stack([sl[int(i) : int(i) + 1].float().numpy()[0] for i in idx]) if len(idx) else np.zeros((0, info.shape[1]), np.float32)
        self._count(len(idx) * (info.nbytes // max(info.shape[0], 1)))
        return out

    def names(self, component: str | None = None) -> list[str]:
        return sorted(n for n in self.tensors if component is None or component_of(n) == component)

    def layers(self, component: str) -> dict[int, dict[str, str]]:
        """layer index → role (gate, up, q, k) → tensor name, for one component."""
        out: dict[int, dict[str, str]] = {}
        for name in self.names(component):
            layer, role = layer_of(name), role_of(name)
            if layer is not None and role is not None:
                out.setdefault(layer, {})[role] = name
        return dict(sorted(out.items()))

    def embedding_name(self) -> str | None:
        for name in self.names("embeddings"):
            if re.search(r"(embed_tokens|wte|word_embeddings)\.weight$", name):
                return name
        return None


def _header(path: Path) -> dict:
    with open(path, "rb") as fh:
        n = int.from_bytes(fh.read(8), "little")
        return json.loads(fh.read(n))


def tokenizer_vocab(path: Path) -> dict[str, int] | None:
    """token string → id from tokenizer.json, when the checkpoint has one."""
    tok = Path(path) / "tokenizer.json"
    if not tok.is_file():
        return None
    model = json.loads(tok.read_text(encoding="utf-8")).get("model", {})
    vocab = model.get("vocab")
    return dict(vocab) if isinstance(vocab, dict) else None


def tokenizer_merges(path: Path) -> list[str]:
    tok = Path(path) / "tokenizer.json"
    if not tok.is_file():
        return []
    merges = json.loads(tok.read_text(encoding="utf-8")).get("model", {}).get("merges") or []
    return [m if isinstance(m, str) else " ".join(m) for m in merges]
