"""Every disguise of a trained reference is `derived` for the right component, and only that one.

The disguises are applied to `ft` (the reference trained further on other data), so nothing is a verbatim
copy; each exact disguise preserves the function (test_activations.py checks the logits)."""

from __future__ import annotations

import numpy as np
import pytest

import disguise as D
from helpers import ALPHA, brief, run

pytestmark = pytest.mark.slow


def derived(v, comp, layers=None):
    c = v[comp]
    assert c["verdict"] == "derived" and c["p_value"] < ALPHA, brief(v)
    if layers is not None:
        assert set(layers) <= set(c["layers"]), c["layers"]
    return c


def not_derived(v, comp):
    assert v[comp]["verdict"] != "derived", brief(v)


CASES = {
    # name: (build(zoo) -> state, save options, component that must be derived, layers)
    "sign flips + permutation + rotation": (lambda z: D.rotate_residual(D.permute_units(z.states["ft"], 1), 2), {}),
    "head permutation + folded norms + rescaling": (lambda z: D.fold_norms(D.permute_heads(D.permute_units(z.states["ft"], 3), 4, z.configs["ref"])), {}),
    "Meta names + bf16, no config": (lambda z: D.to_meta_names(D.permute_units(z.states["ft"], 5)), {"config": False, "dtype": "bfloat16"}),
    "Phi-3 fused qkv / gate_up + fp16, sharded": (lambda z: D.to_phi3_fused(D.permute_units(z.states["ft"], 6)), {"dtype": "float16", "shards": 3}),
    "re-initialised embeddings, no tokenizer, rotated": (lambda z: D.reinit_embeddings(D.rotate_residual(D.permute_units(z.states["ft"], 7), 8), 9, vocab=400), {"tokenizer": None}),
    "60% noise + rotation": (lambda z: D.rotate_residual(D.noise(z.states["ft"], 0.6, 10), 11), {}),
    "merged down to 10%": (lambda z: D.merge(z.states["ft"], z.states["ind2"], 0.1), {}),
    "depth up-scaled": (lambda z: D.upscale_depth(z.states["ft"], [0, 1, 0, 1]), {}),
    "pruned units": (lambda z: D.prune_units(z.states["ft"], 0.6, 12), {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_language_model_disguises_are_derived(zoo, case):
    build, kw = CASES[case]
    v, _ = run(zoo.save(f"lm-{case}", build(zoo), **kw), zoo.save("ref"))
    derived(v, "language_model", [0, 1])


def test_reinitialised_embeddings_are_not_blamed(zoo):
    state = D.reinit_embeddings(D.rotate_residual(D.permute_units(zoo.states["ft"], 7), 8), 9)
    v, cmp = run(zoo.save("reinit-same-vocab", state), zoo.save("ref"))
    derived(v, "language_model")
    not_derived(v, "embeddings")
    assert "weights" in cmp.alignment["language_model"]  # found without anchors


def test_rotated_embedding_transplant_is_the_embeddings(zoo):
    state = D.transplant_rotated_embeddings(zoo.states["ind1"], zoo.states["ref"], 13)
    v, _ = run(zoo.save("emb-transplant", state), zoo.save("ref"))
    c = derived(v, "embeddings")
    assert c["test"]["kind"] == "alignment" and c["effect"]["cosine"] > 0.95
    not_derived(v, "language_model")


def test_depth_upscaling_names_the_duplicated_layers(zoo):
    v, _ = run(zoo.save("lm-depth up-scaled", D.upscale_depth(zoo.states["ft"], [0, 1, 0, 1])), zoo.save("ref"))
    assert {(0, 0), (1, 1), (2, 0), (3, 1)} <= set(map(tuple, v["language_model"]["layer_matches"]))


def test_copied_experts_are_found_expert_by_expert(zoo):
    state = D.rotate_residual(D.permute_experts(D.permute_units(zoo.states["moe_ref"], 1), 2), 3)
    v, _ = run(zoo.save("moe-copy", state, config=zoo.configs["moe_ref"]), zoo.save("moe_ref"))
    lm = derived(v, "language_model", [0, 1])
    pairs = {(e["expert"], e["reference_expert"]) for e in lm["evidence"] if e["kind"] == "unit_identity" and e["adjusted_p"] < ALPHA}
    assert len({a for a, _ in pairs}) >= 2 and all(a != "dense" for a, _ in pairs)


def test_one_copied_expert_in_an_independent_moe_is_localised(zoo):
    s = dict(zoo.states["moe_ind"])
    s.update({k.replace("experts.2.", "experts.0."): v.copy() for k, v in zoo.states["moe_ref"].items() if "layers.1.block_sparse_moe.experts.2." in k})
    v, _ = run(zoo.save("moe-one-expert", s, config=zoo.configs["moe_ref"]), zoo.save("moe_ref"))
    lm = derived(v, "language_model", [1])
    experts = [e for e in lm["evidence"] if "expert" in e and e["adjusted_p"] < ALPHA]
    # the copied expert lives in the reference's residual basis, so it resembles the reference's other
    # experts of that layer too; the strongest match is the one it was copied from
    assert lm["layers"] == [1] and {e["expert"] for e in experts} == {"0"}
    assert min(experts, key=lambda e: (e["p"], -e.get("z", 0)))["reference_expert"] == "2"


def test_independent_moe_is_not_derived(zoo):
    v, _ = run(zoo.save("moe_ind"), zoo.save("moe_ref"))
    assert all(c["verdict"] != "derived" for c in v.values()), brief(v)


@pytest.mark.parametrize("noise", [0.0, 0.3], ids=["verbatim", "fine-tuned"])
def test_transplanted_vision_encoder(zoo, noise):
    import tinylm

    ref = zoo.save("vlm-ref", {**zoo.states["ref"], **tinylm.vision_tower(0)})
    tower = tinylm.vision_tower(0)
    if noise:
        tower = D.noise(tower, noise, 1)
    v, _ = run(zoo.save(f"vlm-enc-{noise}", {**zoo.states["ind1"], **tower}), ref)
    derived(v, "vision_encoder", [0, 1])
    not_derived(v, "language_model")
    v, _ = run(zoo.save("vlm-ind", {**zoo.states["ind1"], **tinylm.vision_tower(1)}), ref)
    assert all(c["verdict"] != "derived" for c in v.values()), brief(v)


def test_qwen_biases_and_tied_lm_head_do_not_break_the_tests(zoo):
    s = {k: v for k, v in D.permute_units(zoo.states["ft"], 14).items() if k != "lm_head.weight"}
    rng = np.random.default_rng(0)
    for i in (0, 1):
        for r, n in (("q", 64), ("k", 32), ("v", 32)):
            s[f"model.layers.{i}.self_attn.{r}_proj.bias"] = (0.01 * rng.standard_normal(n)).astype(np.float32)
    v, _ = run(zoo.save("qwen-tied", s, config=dict(zoo.configs["ref"], bias=True)), zoo.save("ref"))
    derived(v, "language_model", [0, 1])
