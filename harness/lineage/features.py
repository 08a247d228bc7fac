"""What the tests compare, from a reference checkpoint or from its sketch (a compact stored summary).

A sketch keeps, per component: a sample of anchor rows (shared tokens' embedding rows, or the patch
embedding's input rows) for aligning residual bases; per layer, the MLP gate and up rows projected onto k
random directions of the residual space and the Gram matrices of the Q and K projections over a random
subset S of residual coordinates; per tensor, its sha256 and a seeded sample of its elements. The
candidate side is always a checkpoint: it computes the same quantities after mapping its residual basis
onto the reference's (the alignment Q), with the same seeds — so a reference needs no weights at test time.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from harness.lineage.checkpoint import Checkpoint, tokenizer_vocab

SKETCH_VERSION = 1


def rng(*key: object) -> np.random.Generator:
    digest = hashlib.sha256("\x1f".join(map(str, key)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def projection(d: int, k: int, seed: int) -> np.ndarray:
    """k random unit directions in a d-dimensional residual space (rows), shared by both sides."""
    r = rng("projection", seed, d, k).standard_normal((k, d)).astype(np.float32)
    return r / np.linalg.norm(r, axis=1, keepdims=True)


def coordinate_subset(d: int, n: int, seed: int) -> np.ndarray:
    return np.sort(rng("subset", seed, d).choice(d, size=min(n, d), replace=False))


def element_positions(shape: tuple[int, ...], m: int, seed: int) -> np.ndarray:
    size = int(np.prod(shape))
    return np.sort(rng("elements", seed, shape).choice(size, size=min(m, size), replace=False))


def tensor_sha256(ck: Checkpoint, name: str) -> str:
    info = ck.tensors[name]
    with open(info.file, "rb") as fh:  # the raw bytes as stored: a verbatim copy hashes the same
        n = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(n))
        start, end = header[name]["data_offsets"]
        fh.seek(8 + n + start)
        h, left = hashlib.sha256(), end - start
        while left:
            block = fh.read(min(left, 1 << 24))
            h.update(block)
            left -= len(block)
    return h.hexdigest()


TOKEN_EMBEDDING = re.compile(r"(embed_tokens|wte|word_embeddings)\.weight$")


def is_token_embedding(name: str) -> bool:
    return bool(TOKEN_EMBEDDING.search(name))


def anchor_name(ck: Checkpoint, component: str) -> str | None:
    if component in ("language_model", "embeddings"):
        return ck.embedding_name()
    for name in ck.names(component):
        if re.search(r"(patch_embed|patch_embedding|embeddings\.patch|conv1|input_proj|proj_in)", name) and name.endswith("weight"):
            return name
    return None


def anchor_matrix(ck: Checkpoint, name: str, rows: np.ndarray | None = None) -> np.ndarray:
    """Rows indexed by shared inputs (tokens, or pixel-patch input dims), columns = residual dims."""
    shape = ck.tensors[name].shape
    if len(shape) == 2 and rows is not None and is_token_embedding(name):
        return ck.rows(name, rows)  # embedding: row = token
    w = ck.get(name)
    if w.ndim > 2:  # conv patch embedding (d, C, p, p): input dims are C·p·p
        w = w.reshape(w.shape[0], -1)
    mat = w if is_token_embedding(name) else w.T  # linear or conv (d, in) → (in, d)
    return mat if rows is None else mat[rows]


@dataclass
class Settings:
    seed: int = 20260101
    k: int = 64  # random directions for MLP rows
    gram_coords: int = 256  # residual coordinates for the Q/K Gram matrices
    anchor_rows: int = 4096  # shared tokens kept for alignment
    element_samples: int = 4096  # elements per tensor for same-name correlations


class Reference(Protocol):
    name: str
    settings: Settings

    def components(self) -> list[str]: ...
    def anchor(self, component: str) -> tuple[list, np.ndarray] | None: ...
    def tensors(self) -> dict[str, tuple[tuple[int, ...], str, np.ndarray]]: ...  # name → (shape, sha256, element sample)
    def layers(self, component: str) -> list[int]: ...
    def mlp(self, component: str, layer: int) -> tuple[np.ndarray, np.ndarray] | None: ...  # projected gate, up rows
    def qk(self, component: str, layer: int) -> dict[str, np.ndarray]: ...  # role → Gram over the coordinate subset
    def residual_dim(self, component: str) -> int: ...
    def metadata(self) -> dict: ...


class CheckpointReference:
    """A full reference checkpoint, read lazily (one layer at a time) into sketch quantities."""

    def __init__(self, ck: Checkpoint, settings: Settings | None = None, name: str | None = None):
        self.ck, self.settings, self.name = ck, settings or Settings(), name or Path(ck.path).name
        self._vocab = tokenizer_vocab(ck.path)

    def components(self) -> list[str]:
        comps = {c for c in ("language_model", "vision_encoder", "audio_encoder") if self.ck.layers(c)}
        if self.ck.embedding_name():
            comps.add("embeddings")
        return sorted(comps)

    def residual_dim(self, component: str) -> int:
        name = anchor_name(self.ck, component)
        if name is None:
            return 0
        shape = self.ck.tensors[name].shape
        return shape[1] if is_token_embedding(name) else shape[0]

    def anchor(self, component: str):
        name = anchor_name(self.ck, component)
        if name is None:
            return None
        if is_token_embedding(name):
            n_vocab = self.ck.tensors[name].shape[0]
            ids = np.sort(rng("anchor", self.settings.seed, n_vocab).choice(n_vocab, size=min(self.settings.anchor_rows, n_vocab), replace=False))
            inv = {i: t for t, i in self._vocab.items()} if self._vocab else None
            keys = [inv.get(int(i), f"#{int(i)}") if inv else int(i) for i in ids]
            return keys, anchor_matrix(self.ck, name, ids)
        mat = anchor_matrix(self.ck, name)
        return list(range(mat.shape[0])), mat

    def tensors(self):
        out = {}
        for name, info in self.ck.tensors.items():
            pos = element_positions(info.shape, self.settings.element_samples, self.settings.seed)
            out[name] = (info.shape, tensor_sha256(self.ck, name), self.ck.get(name).reshape(-1)[pos])
        return out

    def layers(self, component: str) -> list[int]:
        return list(self.ck.layers(component))

    def mlp(self, component: str, layer: int):
        roles = self.ck.layers(component).get(layer, {})
        if "gate" not in roles or "up" not in roles:
            return None
        r = projection(self.residual_dim(component), self.settings.k, self.settings.seed)
        return self.ck.get(roles["gate"]) @ r.T, self.ck.get(roles["up"]) @ r.T

    def qk(self, component: str, layer: int):
        roles = self.ck.layers(component).get(layer, {})
        s = coordinate_subset(self.residual_dim(component), self.settings.gram_coords, self.settings.seed)
        out = {}
        for role in ("q", "k"):
            if role in roles:
                x = self.ck.get(roles[role])[:, s].T  # samples = residual coordinates in S
                out[role] = x @ x.T
        return out

    def metadata(self) -> dict:
        return {"name": self.name, "config": self.ck.config, "vocab_size": len(self._vocab or {})}
