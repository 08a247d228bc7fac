"""Candidate checkpoint vs one reference (checkpoint or sketch): every test, per component and layer.

The candidate is read one layer at a time; each layer is reduced to small arrays (projected MLP rows, Q/K
Grams over the reference's coordinate subset) right away, so memory stays about one layer whatever the
model's size. Layer pairs are then scanned on those small arrays, to catch pruning, depth up-scaling and
transplanted blocks. Where both residual spaces have the same width, MLP and Q/K tests run twice: after
the embedding-based alignment, and in the raw basis (a block transplanted verbatim lives in the reference's
basis even inside an otherwise independent model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.lineage import stats
from harness.lineage.checkpoint import Checkpoint, component_of, layer_of, tokenizer_vocab
from harness.lineage.features import (
    Reference,
    anchor_matrix,
    anchor_name,
    coordinate_subset,
    element_positions,
    is_token_embedding,
    projection,
    tensor_sha256,
)


@dataclass
class Test:
    component: str
    kind: str  # verbatim | correlation | alignment | mlp | qk_cka
    where: dict[str, Any]  # tensor name, or candidate/reference layers and the basis used
    p: float
    effect: dict[str, Any]
    adjusted_p: float | None = None


@dataclass
class Comparison:
    reference: str
    tests: list[Test] = field(default_factory=list)
    alignment: dict[str, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    controls: dict[str, dict] = field(default_factory=dict)
    anchor_overlap: dict[str, float] = field(default_factory=dict)


@dataclass
class Options:
    n_units: int = 256
    max_layer_pairs: int = 4096  # all pairs when n_c·n_r is below this, else a band around the diagonal
    band: int = 2
    n_perm_alignment: int = 200
    n_perm_cka: int = 30
    qk: bool = True


def _candidate_anchor(ck: Checkpoint, component: str, keys: list) -> tuple[np.ndarray, np.ndarray] | None:
    """Rows of the candidate's anchor for the reference's anchor keys it shares; returns (mask, rows)."""
    name = anchor_name(ck, component)
    if name is None:
        return None
    if keys and isinstance(keys[0], str) and is_token_embedding(name):
        vocab = tokenizer_vocab(ck.path) or {}
        ids = [vocab.get(k, int(k[1:]) if k.startswith("#") else -1) for k in keys]
    else:
        ids = [int(k) for k in keys]
    limit = ck.tensors[name].shape[0] if is_token_embedding(name) else None
    mask = np.array([0 <= i < (limit if limit is not None else 10**12) for i in ids])
    rows = np.array([i for i, m in zip(ids, mask) if m], dtype=np.int64)
    if is_token_embedding(name):
        return mask, anchor_matrix(ck, name, rows)
    full = anchor_matrix(ck, name)
    keep = rows < full.shape[0]
    mask[np.flatnonzero(mask)[~keep]] = False
    return mask, full[rows[keep]]


def _layer_where(name: str, ref_name: str) -> dict:
    li, lj = layer_of(name), layer_of(ref_name)
    return {"layer": li, "reference_layer": lj} if li is not None and lj is not None else {}


def _layer_summaries(ck: Checkpoint, component: str, bases: dict[str, np.ndarray], r: np.ndarray, s: np.ndarray, qk: bool) -> dict:
    """Per candidate layer and basis: projected gate/up rows and Q/K Grams (small arrays; weights freed)."""
    out: dict = {}
    for layer, roles in ck.layers(component).items():
        entry: dict = {b: {} for b in bases}
        if "gate" in roles and "up" in roles:
            for role in ("gate", "up"):
                w = ck.get(roles[role])
                for b, q in bases.items():
                    entry[b][role] = w @ (q @ r.T)
                del w
        if qk:
            for role in ("q", "k"):
                if role in roles:
                    w = ck.get(roles[role])
                    for b, q in bases.items():
                        x = (w @ q[:, s]).T
                        entry[b][role] = x @ x.T
                    del w
        out[layer] = entry
    return out


def _pairs(n_c: list[int], n_r: list[int], opt: Options) -> list[tuple[int, int]]:
    if len(n_c) * len(n_r) <= opt.max_layer_pairs:
        return [(i, j) for i in n_c for j in n_r]
    scale = len(n_r) / max(len(n_c), 1)
    return [(i, j) for i in n_c for j in n_r if abs(i * scale - j) <= opt.band]


def compare(ck: Checkpoint, ref: Reference, opt: Options | None = None) -> Comparison:
    opt = opt or Options()
    seed = ref.settings.seed
    out = Comparison(reference=ref.name)

    # 1. Tensors: verbatim reuse (by hash, under any name) and centred correlation of same-named tensors.
    ref_tensors = ref.tensors()
    by_hash: dict[str, list[str]] = {}
    for name, (_, sha, _) in ref_tensors.items():
        by_hash.setdefault(sha, []).append(name)
    for name, info in ck.tensors.items():
        comp = "embeddings" if component_of(name) == "embeddings" else component_of(name)
        sha = tensor_sha256(ck, name)
        where = {"tensor": name, **_layer_where(name, name)}
        if sha in by_hash and info.nbytes >= 64 and np.ptp(ck.get(name)) > 0:  # constant tensors (untrained norm gains) prove nothing
            where_v = {"tensor": name, "reference_tensors": by_hash[sha], **_layer_where(name, by_hash[sha][0])}
            out.tests.append(Test(comp, "verbatim", where_v, 0.0, {"identical_bytes": info.nbytes}))
        if name in ref_tensors and tuple(ref_tensors[name][0]) == info.shape:
            pos = element_positions(info.shape, ref.settings.element_samples, seed)
            res = stats.correlation_test(ck.get(name).reshape(-1)[pos], ref_tensors[name][2])
            if res is not None:
                out.tests.append(Test(comp, "correlation", where, res["p"], res))

    # 2. Per component: align residual bases, reduce each candidate layer, test layer pairs.
    for comp in ref.components():
        if comp == "embeddings":  # its alignment test runs with the language model's (same anchor)
            continue
        d_r = ref.residual_dim(comp)
        anchor = ref.anchor(comp)
        bases: dict[str, np.ndarray] = {}
        cand = _candidate_anchor(ck, comp, anchor[0]) if anchor is not None else None
        if cand is not None:
            out.anchor_overlap[comp] = float(cand[0].mean())
        if cand is not None and cand[0].sum() >= 8:
            mask, rows_c = cand
            res = stats.alignment_test(rows_c, anchor[1][mask], seed, opt.n_perm_alignment)
            out.alignment[comp] = {k: v for k, v in res.items() if k != "q"}
            target = "embeddings" if comp == "language_model" else comp
            out.tests.append(Test(target, "alignment", {"anchor": anchor_name(ck, comp), "shared_anchors": int(mask.sum())}, res["p"],
                                  {k: res[k] for k in ("r_holdout", "null_mean", "null_sd", "z")}))
            bases["aligned"] = res["q"]
            d_c = rows_c.shape[1]
        else:
            d_c = 0
            out.notes.append(f"{comp}: no shared anchor rows; tests run in the raw basis only")
        layers_c = ck.layers(comp)
        if not layers_c:
            continue
        some = next(iter(layers_c.values()))
        d_c = d_c or (ck.tensors[some.get("gate") or some.get("q")].shape[1] if (some.get("gate") or some.get("q")) else 0)
        if d_c == d_r:
            bases["raw"] = np.eye(d_r, dtype=np.float32)
        if not bases:
            out.notes.append(f"{comp}: residual widths differ ({d_c} vs {d_r}) and no anchor to align them")
            continue
        r = projection(d_r, ref.settings.k, seed)
        s = coordinate_subset(d_r, ref.settings.gram_coords, seed)
        cand_layers = _layer_summaries(ck, comp, bases, r, s, opt.qk)
        out.controls.setdefault(comp, _controls(cand_layers, opt, seed))
        ref_layers = {j: (ref.mlp(comp, j), ref.qk(comp, j) if opt.qk else {}) for j in ref.layers(comp)}
        scale = len(ref_layers) / max(len(cand_layers), 1)
        for i, j in _pairs(list(cand_layers), list(ref_layers), opt):
            mlp_r, qk_r = ref_layers[j]
            near_diagonal = abs(i * scale - j) <= opt.band  # Q/K CKA is supporting evidence: near the diagonal only
            for b in bases:
                c = cand_layers[i][b]
                if mlp_r is not None and "gate" in c:
                    res = stats.mlp_match_test(c["gate"], c["up"], mlp_r[0], mlp_r[1], opt.n_units, seed + 7 * i + j)
                    out.tests.append(Test(comp, "mlp", {"layer": i, "reference_layer": j, "basis": b}, res["p"], res))
                for role in ("q", "k"):
                    if near_diagonal and role in c and role in qk_r:
                        res = stats.cka_test(c[role], qk_r[role], seed + 11 * i + j, opt.n_perm_cka)
                        out.tests.append(Test(comp, "qk_cka", {"layer": i, "reference_layer": j, "basis": b, "role": role}, res["p"], res))
    return out


def _controls(cand_layers: dict, opt: Options, seed: int) -> dict:
    """Positive control: a layer against itself must look derived. Negative control: the same layer with
    its up rows' unit order shuffled against its gate rows (unit identity broken) must not."""
    for layer, entry in cand_layers.items():
        c = next(iter(entry.values()))
        if "gate" in c:
            perm = np.random.default_rng(seed).permutation(c["up"].shape[0])
            pos = stats.mlp_match_test(c["gate"], c["up"], c["gate"], c["up"], opt.n_units, seed)
            neg = stats.mlp_match_test(c["gate"], c["up"], c["gate"], c["up"][perm], opt.n_units, seed)
            return {"layer": layer, "positive": {"rho": pos["rho"], "p": pos["p"]}, "negative": {"rho": neg["rho"], "p": neg["p"]}}
    return {}
