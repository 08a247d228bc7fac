"""Candidate checkpoint vs one reference (checkpoint or sketch): every test, per component and layer.

Order of work, all streamed one layer at a time:
1. every tensor's hash against the reference's (verbatim reuse under any name or dtype);
2. anchors: shared tokens' rows (or patch inputs) — the column-permutation test in the raw basis and the
   held-out alignment, whose fitted rotation is one way to undo a rotated residual stream;
3. pass 1 over the candidate's layers: Grams over the residual channels, Mantel-tested at once against
   every reference layer in the scan (exact null; catches everything that keeps the residual basis), and
   summed over layers for the anchor-free alignment;
4. pass 2, once a rotation is known (from anchors, from the weights themselves, or from activations): the
   unit-identity test of every MLP and expert, in each aligned basis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.lineage import stats
from harness.lineage.checkpoint import Checkpoint
from harness.lineage.features import (
    DENSE,
    MLP_VIEWS,
    candidate_anchor_ids,
    candidate_pool,
    coordinate_subset,
    kind_gram,
    layer_groups,
    mlp_views,
    projection,
    tensor_hashes,
)
from harness.lineage.layout import component_of, slot_of
from harness.lineage.summary import Summary


@dataclass
class Test:
    component: str
    kind: str  # verbatim | mantel | columns | alignment | unit_identity | cka
    where: dict[str, Any]
    p: float
    effect: dict[str, Any]
    exact: bool  # null by symmetry (True) or against a stated margin (False)
    adjusted_p: float | None = None


@dataclass
class Comparison:
    reference: str
    provenance: dict[str, Any]
    tests: list[Test] = field(default_factory=list)
    alignment: dict[str, dict] = field(default_factory=dict)  # component → basis → how it was found, its fit
    notes: list[str] = field(default_factory=list)
    not_testable: dict[str, str] = field(default_factory=dict)  # component → why
    controls: dict[str, dict] = field(default_factory=dict)
    expected: list[str] = field(default_factory=list)  # components both sides have: each gets a verdict
    rotations: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)


@dataclass
class Options:
    n_perm: int = 200
    max_layer_pairs: int = 4096  # all pairs when n_c·n_r is below this, else a band around the diagonal
    band: int = 2
    max_expert_pairs: int = 64  # all expert pairs of a layer pair up to this, else same index only
    unit_margin: float = 0.1  # agreement rate independent models are allowed (convergent units)
    alignment_margin: float = 0.7  # held-out anchor cosine independent models are allowed


def layer_pairs(n_c: list[int], n_r: list[int], opt: Options) -> list[tuple[int, int]]:
    if len(n_c) * len(n_r) <= opt.max_layer_pairs:
        return [(i, j) for i in n_c for j in n_r]
    scale = len(n_r) / max(len(n_c), 1)
    return [(i, j) for i in n_c for j in n_r if abs(i * scale - j) <= opt.band]


def group_pairs(cand: list[str], ref: list[str], opt: Options) -> list[tuple[str, str]]:
    """Attention with attention, router with router, every MLP/expert with every MLP/expert (a dense MLP
    copied into experts, or experts reordered) unless there are too many pairs."""
    out = [(g, g) for g in ("attn", "router") if g in cand and g in ref]
    mc, mr = [g for g in cand if g.startswith("mlp:")], [g for g in ref if g.startswith("mlp:")]
    if len(mc) * len(mr) <= opt.max_expert_pairs:
        out += [(a, b) for a in mc for b in mr]
    else:
        out += [(a, a) for a in mc if a in mr]
    return out


def _where(i: int, j: int, gc: str, gr: str, **extra) -> dict:
    out: dict[str, Any] = {"layer": i, "reference_layer": j}
    if gc.startswith("mlp:") and (gc, gr) != (f"mlp:{DENSE}", f"mlp:{DENSE}"):
        out.update(expert=gc[4:], reference_expert=gr[4:])
    elif not gc.startswith("mlp:"):
        out["block"] = gc
    return {**out, **extra}


def compare(ck: Checkpoint, ref: Summary, opt: Options | None = None) -> Comparison:
    opt = opt or Options()
    out = Comparison(reference=ref.name, provenance={k: ref.meta.get(k) for k in ("name", "path", "revision", "files", "architectures")})
    _hash_tests(ck, ref, out)
    for comp in ref.components():
        info = ref.component(comp)
        if comp not in ck.components():
            if any(len(t.shape) >= 2 for n, t in ck.tensors.items() if n in ck.unmapped):
                out.not_testable[comp] = "the candidate's tensors follow no known layout for this component"
            else:
                out.notes.append(f"{comp}: the candidate has none")
            continue
        out.expected.append(comp)
        if comp == "language_model" and info.get("anchor_keys"):
            out.expected.append("embeddings")
        _component(ck, ref, comp, info, opt, out)
    if ck.unmapped:
        out.notes.append(f"{len(ck.unmapped)} candidate tensors follow no known layout (hash-tested only), e.g. {ck.unmapped[:3]}")
    return out


def _hash_tests(ck: Checkpoint, ref: Summary, out: Comparison) -> None:
    by_sha: dict[str, list[str]] = {}
    by_value: dict[str, list[str]] = {}
    for name, t in ref.meta["tensors"].items():
        if t.get("value_sha256"):  # constant or tiny tensors (untrained norm gains) prove nothing
            by_sha.setdefault(t["sha256"], []).append(name)
            by_value.setdefault(t["value_sha256"], []).append(name)
    for name in ck.tensors:
        sha, value = tensor_hashes(ck, name)
        if value is None:
            continue
        hit = by_sha.get(sha) or by_value.get(value)
        if hit:
            slot = slot_of(name)
            comp = slot.component if slot else component_of(name)
            where = {"tensor": name, "reference_tensors": hit, **({"layer": slot.layer} if slot and slot.layer is not None else {})}
            out.tests.append(Test(comp, "verbatim", where, 0.0, {"identical": "bytes" if sha in by_sha else "values (bf16)"}, True))


def _component(ck: Checkpoint, ref: Summary, comp: str, info: dict, opt: Options, out: Comparison) -> None:
    seed = ref.settings.seed
    d_r, d_c = info["width"], ck.residual_width(comp)
    rotations: dict[str, np.ndarray] = {}
    out.alignment[comp] = {}
    _anchor_tests(ck, ref, comp, info, opt, out, rotations)
    same_width = d_c == d_r
    if not same_width:
        out.notes.append(f"{comp}: residual widths differ ({d_c} vs {d_r}): no raw-basis test, alignment through anchors only")
    coords = coordinate_subset(d_r, ref.settings.gram_coords, seed)
    pool, where = candidate_pool(d_r, coords, ref.settings.pool, seed)
    ref_layers = [int(x) for x in info["layers"]]
    cand_layers = ck.layers(comp)
    pairs = layer_pairs(cand_layers, ref_layers, opt)
    joint = same_width and any(k.startswith(f"agg/{comp}/") for k in ref.arrays)
    agg: dict[str, np.ndarray] = {}
    cand_groups: dict[int, list[str]] = {}
    if same_width:
        _vocab_tests(ck, ref, comp, pool, where, opt, out)
    for i in cand_layers:
        grams: dict[str, dict[str, np.ndarray]] = {}
        rows_c: dict[str, dict[str, np.ndarray]] = {}
        for group, kinds, head_dim in layer_groups(ck, comp, i):
            cand_groups.setdefault(i, []).append(group)
            if not same_width:
                continue
            grams[group] = {k: stats.deflate(stats.correlation_normalise(kind_gram(k, rows, head_dim, pool))) for k, rows in kinds.items()}
            rows_c[group] = {k: rows[:, pool] for k, rows in kinds.items()}
            if joint and group != "router":
                for k, rows in kinds.items():
                    full = kind_gram(k, rows, head_dim, None)
                    agg[k] = agg.get(k, 0) + full / (np.linalg.norm(full) or 1)
        for j in (j for (a, j) in pairs if a == i) if same_width else []:
            for gc, gr in group_pairs(list(grams), info["groups"][str(j)], opt):
                r = {k: ref.arrays[f"gram/{comp}/{j}/{gr}/{k}"] for k in grams[gc] if f"gram/{comp}/{j}/{gr}/{k}" in ref.arrays}
                res = stats.mantel(grams[gc], r, where, opt.n_perm, seed + 31 * i + j, deflated=True)
                if res is not None:
                    out.tests.append(Test(comp, "mantel", _where(i, j, gc, gr), res["p"], res, True))
                res = _element_test(ref, comp, i, j, gc, gr, rows_c[gc], where, opt)
                if res is not None:
                    out.tests.append(Test(comp, "elements", _where(i, j, gc, gr), res["p"], res, True))
    if joint and agg:
        kinds = [k for k in agg if f"agg/{comp}/{k}" in ref.arrays]
        if kinds:
            q, fit = stats.joint_alignment([agg[k] for k in kinds], [ref.arrays[f"agg/{comp}/{k}"].astype(np.float64) for k in kinds])
            rotations["weights"] = q
            out.alignment[comp]["weights"] = {"source": "Grams of every layer (no anchors)", "fit": fit, "kinds": kinds}
    out.rotations[comp] = rotations
    unit_tests(ck, ref, comp, info, rotations, opt, out, cand_groups, unit_pairs(cand_layers, ref_layers, opt))


def unit_pairs(n_c: list[int], n_r: list[int], opt: Options) -> list[tuple[int, int]]:
    """Layer pairs for the unit-identity test (an assignment per view and pair): all of them for small
    models, a band around the diagonal beyond 64 pairs (the raw-basis scan still covers every pair)."""
    return layer_pairs(n_c, n_r, Options(max_layer_pairs=min(64, opt.max_layer_pairs), band=opt.band))


def _element_test(ref: Summary, comp: str, i: int, j: int, gc: str, gr: str, rows: dict[str, np.ndarray], where: np.ndarray, opt: Options) -> dict | None:
    cand, refs = {}, {}
    for k, w in rows.items():
        key = f"{comp}/{j}/{gr}/{k}"
        if f"rows/{key}" in ref.arrays:
            idx = ref.arrays[f"rowsidx/{key}"]
            if len(idx) and idx.max() < w.shape[0]:
                cand[k], refs[k] = w[idx], ref.arrays[f"rows/{key}"]
    return stats.elements(cand, refs, where, opt.n_perm, ref.settings.seed + 37 * i + j) if cand else None


def _vocab_tests(ck: Checkpoint, ref: Summary, comp: str, pool: np.ndarray, where: np.ndarray, opt: Options, out: Comparison) -> None:
    """Embedding rows, whatever the tokenizer: Mantel on their Gram over residual channels."""
    from harness.lineage.features import vocab_rows

    for which, rows in vocab_rows(ck, comp, ref.settings).items():
        key = f"gram/embeddings/vocab/{which}"
        if key in ref.arrays:
            res = stats.mantel({which: stats.correlation_normalise(stats.unit_gram(rows, pool))}, {which: ref.arrays[key]}, where,
                               opt.n_perm, ref.settings.seed + 5)
            if res is not None:
                out.tests.append(Test("embeddings", "mantel", {"tensor": which, "rows": "any tokens"}, res["p"], res, True))


def _anchor_tests(ck: Checkpoint, ref: Summary, comp: str, info: dict, opt: Options, out: Comparison, rotations: dict) -> None:
    keys = info.get("anchor_keys")
    if not keys:
        return
    found = candidate_anchor_ids(ck, comp, keys)
    if found is None or found[0].sum() < 16:
        out.notes.append(f"{comp}: fewer than 16 shared anchors (tokens or patch inputs): nothing to align through")
        return
    from harness.lineage.features import anchor_rows

    mask, ids = found
    seed = ref.settings.seed
    target = "embeddings" if comp == "language_model" else comp
    cand = anchor_rows(ck, comp, ids)
    for which, rows_c in cand.items():
        key = f"anchor/{comp}/{which}"
        if key not in ref.arrays:
            continue
        rows_r = ref.arrays[key][mask]
        where = {"tensor": which, "shared_anchors": int(mask.sum()), "of": len(keys)}
        res = stats.column_permutation(rows_c, rows_r, opt.n_perm, seed)
        if res is not None:
            out.tests.append(Test(target, "columns", where, res["p"], res, True))
        if which == "lm_head":  # output rows follow the data's next-token statistics: alike after alignment (measured 0.72)
            continue
        res = stats.heldout_alignment(rows_c, rows_r, seed, opt.alignment_margin)
        if res is not None:
            q = res.pop("q")
            out.tests.append(Test(target, "alignment", where, res["p"], res, False))
            if which in ("embed", "patch"):
                rotations["anchors"] = q
                out.alignment[comp]["anchors"] = {"source": f"{which} rows of {int(mask.sum())} shared anchors", "fit": res["cosine"]}


def unit_tests(ck: Checkpoint, ref: Summary, comp: str, info: dict, rotations: dict[str, np.ndarray], opt: Options,
               out: Comparison, cand_groups: dict[int, list[str]], pairs: list[tuple[int, int]]) -> None:
    """Pass 2: each MLP's units, mapped into the reference's basis by each rotation, matched view by view."""
    if not rotations:
        return
    settings = ref.settings
    proj = projection(info["width"], settings.k, settings.seed)
    for i, groups in cand_groups.items():
        for gc in [g for g in groups if g.startswith("mlp:")]:
            views = mlp_views(ck, comp, i, None if gc == f"mlp:{DENSE}" else gc[4:])
            for basis, q in rotations.items():
                if q.shape[0] != next(iter(views.values())).shape[1]:
                    continue
                mapped = {k: (v @ q if proj is None else (v @ q) @ proj.T) for k, v in views.items()}
                for j in (j for (a, j) in pairs if a == i):
                    for _, gr in group_pairs([gc], info["groups"][str(j)], opt):
                        kinds = [k for k in MLP_VIEWS if k in mapped and f"units/{comp}/{j}/{gr}/{k}" in ref.arrays]
                        res = stats.unit_identity([mapped[k] for k in kinds], [ref.arrays[f"units/{comp}/{j}/{gr}/{k}"] for k in kinds], opt.unit_margin)
                        if res is not None:
                            out.tests.append(Test(comp, "unit_identity", _where(i, j, gc, gr, basis=basis, views=kinds), res["p"], res, False))
            if comp not in out.controls:
                out.controls[comp] = _controls(views, i)


def _controls(views: dict[str, np.ndarray], layer: int) -> dict:
    """Positive control: an MLP against itself must keep unit identity. Negative: the same MLP with its up
    rows' unit order shuffled (identity broken) must not."""
    kinds = list(views)
    pos = stats.unit_identity([views[k] for k in kinds], [views[k] for k in kinds], 0.1)
    rng = np.random.default_rng(0)
    neg = stats.unit_identity([views[k][rng.permutation(views[k].shape[0])] for k in kinds], [views[k] for k in kinds], 0.1)
    if pos is None or neg is None:
        return {}
    return {"layer": layer, "positive": {"agreement": pos["agreement"], "p": pos["p"]}, "negative": {"agreement": neg["agreement"], "p": neg["p_chance"]}}
