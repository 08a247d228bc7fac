"""Streaming access to a safetensors checkpoint in canonical form: headers and the shard index first, then
one tensor (or a slice of rows) at a time, in fp32, never the whole model.

Canonical form undoes what a disguise can change for free: names (layout.py), dtypes (everything is read as
fp32), fused tensors (split), and norm gains (folded into the matrices that read the norm's output, so a
gain moved into the next matrix or out of it reads the same). Bytes read are counted for the progress bar.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harness.errors import ConfigError, DataError
from harness.lineage.layout import Slot, map_names

_READS_ATTN = ("q", "k", "v", "qkv")
_READS_MLP = ("gate", "up", "gate_up", "router", "shared_gate")


@dataclass
class TensorInfo:
    name: str
    file: Path
    shape: tuple[int, ...]
    dtype: str
    nbytes: int


@dataclass
class Dims:
    """Head geometry of one component (needed to split fused q/k/v and to find heads)."""

    heads: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None
    gain_offset: float = 0.0  # Gemma stores RMSNorm gains as w with gain 1 + w


@dataclass
class Checkpoint:
    path: Path
    tensors: dict[str, TensorInfo]
    config: dict
    slots: dict[Slot, str] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    bytes_read: int = 0
    on_read: Callable[[int], None] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, path: str | Path, field_name: str = "candidate") -> Checkpoint:
        path = Path(path)
        if not path.exists():
            raise ConfigError("no such checkpoint (a directory of safetensors files, or one file)", file=path, field=field_name)
        files = sorted(path.glob("*.safetensors")) if path.is_dir() else [path]
        index = path / "model.safetensors.index.json" if path.is_dir() else None
        if index is not None and index.is_file():
            try:
                weight_map = json.loads(index.read_text())["weight_map"]
            except (ValueError, KeyError):
                raise DataError("not a shard index (no `weight_map`)", file=index, field="weight_map") from None
            files = sorted({path / f for f in weight_map.values()})
            missing = [f for f in files if not f.is_file()]
            if missing:
                raise DataError(f"the shard index names {missing[0].name}, which is not there", file=index, field="weight_map")
        if not files:
            raise ConfigError("no safetensors weights found", file=path, field=field_name)
        tensors = {}
        for f in files:
            for name, info in _header(f).items():
                if name == "__metadata__":
                    continue
                start, end = info["data_offsets"]
                tensors[name] = TensorInfo(name, f, tuple(info["shape"]), info["dtype"], end - start)
        config = _config(path) if path.is_dir() else {}
        slots, unmapped = map_names(list(tensors))
        return cls(path, tensors, config, slots, unmapped)

    # -- raw access -------------------------------------------------------------------------------------
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
        try:
            with safe_open(str(info.file), framework="pt") as fh:
                t = fh.get_tensor(name)
        except Exception as err:  # a truncated or corrupt shard
            raise DataError(f"cannot read tensor {name}: {err}", file=info.file, field=name) from None
        self._count(info.nbytes)
        return t.float().numpy()

    def rows(self, name: str, index: Iterable[int]) -> np.ndarray:
        """Selected rows of a 2-D tensor in fp32, reading only those rows."""
        from safetensors import safe_open

        idx = np.asarray(list(index), dtype=np.int64)
        info = self.tensors[name]
        if not len(idx):
            return np.zeros((0, info.shape[1]), np.float32)
        with safe_open(str(info.file), framework="pt") as fh:
            sl = fh.get_slice(name)
            out = np.stack([sl[int(i) : int(i) + 1].float().numpy()[0] for i in idx])
        self._count(len(idx) * (info.nbytes // max(info.shape[0], 1)))
        return out

    # -- canonical access -------------------------------------------------------------------------------
    def components(self) -> list[str]:
        return sorted({s.component for s in self.slots})

    def layers(self, component: str) -> list[int]:
        return sorted({s.layer for s in self.slots if s.component == component and s.layer is not None and s.kind == "weight"
                       and s.role in ("q", "k", "v", "o", "qkv", "gate", "up", "down", "gate_up")})

    def name(self, component: str, role: str, layer: int | None = None, expert: str | None = None, kind: str = "weight") -> str | None:
        return self.slots.get(Slot(component, role, layer, expert, kind))

    def dims(self, component: str) -> Dims:
        cfg = self.config
        if component == "vision_encoder":
            cfg = cfg.get("vision_config") or {}
        elif component == "audio_encoder":
            cfg = cfg.get("audio_config") or {}
        else:
            cfg = cfg.get("text_config") or cfg
        heads = cfg.get("num_attention_heads") or cfg.get("n_heads") or cfg.get("num_heads") or cfg.get("encoder_attention_heads")
        kv = cfg.get("num_key_value_heads") or cfg.get("n_kv_heads") or heads
        hidden = cfg.get("hidden_size") or cfg.get("dim") or cfg.get("d_model")
        head_dim = cfg.get("head_dim") or (hidden // heads if hidden and heads else None)
        kind = str(cfg.get("model_type", "")) + " ".join(map(str, self.config.get("architectures") or []))
        return Dims(heads, kv, head_dim, 1.0 if "gemma" in kind.lower() else 0.0)

    def gain(self, component: str, role: str, layer: int | None) -> np.ndarray | None:
        name = self.name(component, role, layer)
        if name is None:
            return None
        return self.get(name).reshape(-1) + self.dims(component).gain_offset

    def reader(self, component: str, role: str, layer: int | None = None, expert: str | None = None) -> np.ndarray | None:
        """A matrix that reads the residual stream (rows = output units, columns = residual channels), with
        the gain of the norm in front of it folded in. Fused q/k/v and gate/up are split."""
        fused = {"q": "qkv", "k": "qkv", "v": "qkv", "gate": "gate_up", "up": "gate_up"}.get(role)
        name = self.name(component, role, layer, expert)
        w = None
        if name is not None:
            w = self.get(name)
        elif fused and self.name(component, fused, layer, expert):
            w = self._split(component, fused, role, self.get(self.name(component, fused, layer, expert)))
        if w is None:
            return None
        w = w.reshape(w.shape[0], -1) if w.ndim > 2 else w
        norm = "attn_norm" if role in _READS_ATTN else "mlp_norm" if role in _READS_MLP else "final_norm" if role == "lm_head" else None
        g = self.gain(component if role != "lm_head" else "embeddings", norm, layer) if norm else None
        if g is not None and g.shape[0] == w.shape[1]:
            w = w * g[None, :]
        return w

    def writer(self, component: str, role: str, layer: int | None = None, expert: str | None = None) -> np.ndarray | None:
        """A matrix that writes the residual stream, as rows = units, columns = residual channels."""
        name = self.name(component, role, layer, expert)
        return None if name is None else self.get(name).T

    def experts(self, component: str, layer: int) -> list[str | None]:
        """The MLPs of one layer: [None] for a dense layer, expert ids (and "shared") for a mixture."""
        found = {s.expert for s in self.slots if s.component == component and s.layer == layer and s.role in ("down",)}
        return sorted(found, key=lambda e: (e is not None, e == "shared", int(e) if e and e.isdigit() else 0))

    def _split(self, component: str, fused: str, role: str, w: np.ndarray) -> np.ndarray:
        if fused == "gate_up":
            half = w.shape[0] // 2
            return w[:half] if role == "gate" else w[half:]
        d = self.dims(component)
        rows = w.shape[0]
        if d.heads and d.head_dim and d.kv_heads and (d.heads + 2 * d.kv_heads) * d.head_dim == rows:
            nq, nk = d.heads * d.head_dim, d.kv_heads * d.head_dim
        else:  # no config: equal thirds (plain multi-head attention)
            nq = nk = rows // 3
        return {"q": w[:nq], "k": w[nq : nq + nk], "v": w[nq + nk : nq + 2 * nk]}[role]

    def residual_width(self, component: str) -> int | None:
        for layer in self.layers(component):
            for role in ("down", "o"):
                for e in self.experts(component, layer) if role == "down" else [None]:
                    name = self.name(component, role, layer, e)
                    if name:
                        return self.tensors[name].shape[0]
        return None


def _header(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            n = int.from_bytes(fh.read(8), "little")
            return json.loads(fh.read(n))
    except (OSError, ValueError) as err:
        raise DataError(f"not a readable safetensors file ({err})", file=path, field="header") from None


def _config(path: Path) -> dict:
    for fname in ("config.json", "params.json"):
        f = path / fname
        if f.is_file():
            try:
                return json.loads(f.read_text())
            except ValueError:
                raise DataError("not valid JSON", file=f, field="config") from None
    return {}


def tokenizer_vocab(path: Path) -> dict[str, int] | None:
    """token string → id from tokenizer.json, when the checkpoint has one."""
    tok = Path(path) / "tokenizer.json"
    if not tok.is_file():
        return None
    try:
        model = json.loads(tok.read_text(encoding="utf-8")).get("model", {})
    except ValueError:
        raise DataError("not valid JSON", file=tok, field="model.vocab") from None
    vocab = model.get("vocab")
    return dict(vocab) if isinstance(vocab, dict) else None


def tokenizer_merges(path: Path) -> list[str]:
    tok = Path(path) / "tokenizer.json"
    if not tok.is_file():
        return []
    merges = json.loads(tok.read_text(encoding="utf-8")).get("model", {}).get("merges") or []
    return [m if isinstance(m, str) else " ".join(m) for m in merges]


def revision_of(path: Path) -> str | None:
    """A hub snapshot's revision from its path (…/snapshots/<sha>/), else None: the user names it."""
    m = re.search(r"snapshots/([0-9a-f]{7,64})(/|$)", str(Path(path).resolve()))
    return m.group(1) if m else None
