"""What the tests compare, computed the same way on both sides from a canonical checkpoint, one layer at a time.

Per layer: the correlation-normalised Grams of each kind of residual-space vector (gate rows, up rows, down
columns per MLP or expert; per-head projectors of q, k, v and o; router rows) over a set of residual
coordinates. They do not change when units or heads are permuted, rescaled, sign-flipped, or transformed
inside a head, and rotate with the residual basis. Per MLP: the units themselves (gate, up, down), for the
unit-identity test after alignment. Per component: anchor rows (shared tokens' embedding and unembedding
rows, or a patch embedding's input rows), and the sum of each kind's full-width Gram over layers, from which
a rotation of the residual stream is recovered without any anchor.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from harness.lineage import stats
from harness.lineage.checkpoint import Checkpoint, tokenizer_vocab

SKETCH_VERSION = 2
DENSE = "dense"
MLP_VIEWS = ("gate", "up", "down")
ATTN_KINDS = ("q", "k", "v", "o")


@dataclass
class Settings:
    seed: int = 20260101
    k: int = 128  # units are compared in at most k random directions of the reference's residual space
    gram_coords: int = 256  # the reference's residual coordinates kept for Grams
    pool: int = 1024  # the candidate's channels among which the Mantel null relabels
    anchor_rows: int = 4096  # shared tokens kept for alignment
    n_units: int = 256  # reference units sampled per MLP (per expert)
    max_joint_width: int = 4096  # anchor-free alignment keeps d×d Grams up to this width


def rng(*key: object) -> np.random.Generator:
    digest = hashlib.sha256("\x1f".join(map(str, key)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def coordinate_subset(d: int, n: int, seed: int) -> np.ndarray:
    return np.sort(rng("subset", seed, d).choice(d, size=min(n, d), replace=False))


def candidate_pool(d: int, coords: np.ndarray, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A pool of channels containing `coords` (all channels when d ≤ size); returns (pool, positions of coords)."""
    if d <= max(size, len(coords)):
        pool = np.arange(d)
    else:
        rest = np.setdiff1d(np.arange(d), coords)
        extra = rng("pool", seed, d).choice(rest, size=size - len(coords), replace=False)
        pool = np.sort(np.concatenate([coords, extra]))
    return pool, np.searchsorted(pool, coords)


def projection(d: int, k: int, seed: int) -> np.ndarray | None:
    """k random orthonormal directions of a d-dimensional residual space (rows); None when d ≤ k."""
    if d <= k:
        return None
    q, _ = np.linalg.qr(rng("projection", seed, d, k).standard_normal((d, k)))
    return q.T.astype(np.float32)


def unit_sample(m: int, n: int, seed: int, *key: object) -> np.ndarray:
    return np.sort(rng("units", seed, m, *key).choice(m, size=min(n, m), replace=False))


def tensor_hashes(ck: Checkpoint, name: str) -> tuple[str, str | None]:
    """sha256 of the stored bytes, and of the values rounded to bf16 (a verbatim copy cast to another dtype
    hashes the same); None for the second when the tensor is small or constant (identical ones prove nothing)."""
    info = ck.tensors[name]
    with open(info.file, "rb") as fh:
        n = int.from_bytes(fh.read(8), "little")
        start, end = json.loads(fh.read(n))[name]["data_offsets"]
        fh.seek(8 + n + start)
        h, left = hashlib.sha256(), end - start
        while left:
            block = fh.read(min(left, 1 << 24))
            h.update(block)
            left -= len(block)
    size = int(np.prod(info.shape)) if info.shape else 1
    if size < 256:
        return h.hexdigest(), None
    x = ck.get(name).reshape(-1)
    if np.ptp(x) == 0:
        return h.hexdigest(), None
    bits = x.astype(np.float32).view(np.uint32)
    bf16 = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)  # round to nearest even
    return h.hexdigest(), hashlib.sha256(bf16.tobytes() + str(info.shape).encode()).hexdigest()


def mlp_views(ck: Checkpoint, comp: str, layer: int, expert: str | None) -> dict[str, np.ndarray]:
    """gate rows, up rows (readers, norm folded) and down columns (as rows) of one MLP or expert."""
    views = {"gate": ck.reader(comp, "gate", layer, expert), "up": ck.reader(comp, "up", layer, expert), "down": ck.writer(comp, "down", layer, expert)}
    return {k: v for k, v in views.items() if v is not None}


def layer_groups(ck: Checkpoint, comp: str, layer: int) -> Iterator[tuple[str, dict[str, np.ndarray], int | None]]:
    """(group, kind → rows over the residual, head_dim) for one layer: attention, router, each MLP/expert."""
    dims = ck.dims(comp)
    attn = {r: ck.reader(comp, r, layer) for r in ("q", "k", "v")}
    o = ck.writer(comp, "o", layer)
    attn["o"] = o
    attn = {k: v for k, v in attn.items() if v is not None}
    if attn:
        yield "attn", attn, dims.head_dim
    router = ck.reader(comp, "router", layer)
    if router is not None:
        yield "router", {"router": router}, None
    for e in ck.experts(comp, layer):
        views = mlp_views(ck, comp, layer, e)
        if views:
            yield f"mlp:{e or DENSE}", views, None


def kind_gram(kind: str, rows: np.ndarray, head_dim: int | None, coords: np.ndarray | None) -> np.ndarray:
    if kind in ATTN_KINDS and head_dim:
        return head_projector_or_unit(rows, head_dim, coords)
    return stats.unit_gram(rows, coords)


def head_projector_or_unit(rows: np.ndarray, head_dim: int, coords: np.ndarray | None) -> np.ndarray:
    if rows.shape[0] % head_dim or rows.shape[0] // head_dim < 1:
        return stats.unit_gram(rows, coords)
    return stats.head_projector_gram(rows, head_dim, coords)


def anchor_ids(ck: Checkpoint, comp: str, settings: Settings) -> tuple[list, np.ndarray] | None:
    """The reference's anchors: sampled token ids with their strings (keys), or a patch embedding's inputs."""
    if comp == "language_model":
        name = ck.name("embeddings", "embed")
        if name is None:
            return None
        n_vocab = ck.tensors[name].shape[0]
        ids = np.sort(rng("anchor", settings.seed, n_vocab).choice(n_vocab, size=min(settings.anchor_rows, n_vocab), replace=False))
        vocab = tokenizer_vocab(ck.path)
        inv = {i: t for t, i in vocab.items()} if vocab else {}
        return [inv.get(int(i), f"#{int(i)}") for i in ids], ids
    name = ck.name(comp, "patch")
    if name is None:
        return None
    n_in = int(np.prod(ck.tensors[name].shape[1:]))
    return list(range(n_in)), np.arange(n_in)


def candidate_anchor_ids(ck: Checkpoint, comp: str, keys: list) -> tuple[np.ndarray, np.ndarray] | None:
    """The candidate's rows for the reference's anchor keys it shares: (mask over keys, candidate ids)."""
    if comp == "language_model":
        name = ck.name("embeddings", "embed")
        if name is None:
            return None
        vocab = tokenizer_vocab(ck.path) or {}
        limit = ck.tensors[name].shape[0]
        ids = np.array([vocab[k] if k in vocab else int(k[1:]) if not vocab and re.fullmatch(r"#\d+", k) else -1 for k in keys])
        mask = (ids >= 0) & (ids < limit)
        return mask, ids[mask]
    name = ck.name(comp, "patch")
    if name is None or int(np.prod(ck.tensors[name].shape[1:])) != len(keys):
        return None
    return np.ones(len(keys), dtype=bool), np.arange(len(keys))


def anchor_rows(ck: Checkpoint, comp: str, ids: np.ndarray) -> dict[str, np.ndarray]:
    """Rows indexed by anchors, columns = residual channels: embedding and (norm-folded) unembedding rows."""
    if comp == "language_model":
        out = {"embed": ck.rows(ck.name("embeddings", "embed"), ids)}
        head = ck.name("embeddings", "lm_head")
        if head is not None:
            rows = ck.rows(head, ids)
            g = ck.gain("embeddings", "final_norm", None)
            out["lm_head"] = rows * g[None, :] if g is not None and g.shape[0] == rows.shape[1] else rows
        return out
    w = ck.get(ck.name(comp, "patch"))
    return {"patch": w.reshape(w.shape[0], -1).T[ids]}


def vocab_rows(ck: Checkpoint, comp: str, settings: Settings, n: int = 8192) -> dict[str, np.ndarray]:
    """A seeded sample of embedding and (norm-folded) unembedding rows, whatever the tokens: their Gram over
    residual channels needs no shared tokenizer (a copied embedding under a new vocabulary still shows)."""
    if comp != "language_model":
        return {}
    out = {}
    for which in ("embed", "lm_head"):
        name = ck.name("embeddings", which)
        if name is None:
            continue
        n_vocab = ck.tensors[name].shape[0]
        ids = np.sort(rng("vocab", settings.seed, n_vocab).choice(n_vocab, size=min(n, n_vocab), replace=False))
        rows = ck.rows(name, ids) if n < n_vocab else ck.get(name)
        g = ck.gain("embeddings", "final_norm", None) if which == "lm_head" else None
        out[which] = rows * g[None, :] if g is not None and g.shape[0] == rows.shape[1] else rows
    return out
