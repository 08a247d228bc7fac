"""The acceptance matrix: small Llama-shaped checkpoints (with a vision tower), each derived case `derived`
with p < 1e-6 naming the right component and layers, the independent ones not."""

from __future__ import annotations

import pytest

import models as M
from harness.lineage.checkpoint import Checkpoint
from harness.lineage.compare import Options, compare
from harness.lineage.decide import decide
from harness.lineage.features import CheckpointReference

pytestmark = pytest.mark.slow
ALPHA = 1e-6
COMPONENTS = ["language_model", "embeddings", "vision_encoder"]


@pytest.fixture(scope="module")
def ref(tmp_path_factory):
    state = M.model(0)
    path = M.save(state, tmp_path_factory.mktemp("ref") / "ref")
    return state, CheckpointReference(Checkpoint.open(path))


def verdicts(ref, state, tmp_path):
    path = M.save(state, tmp_path / "candidate")
    cmp = compare(Checkpoint.open(path), ref[1], Options(n_units=128))
    return {c["name"]: c for c in decide([cmp], alpha=ALPHA, inconclusive_alpha=1e-3, components=COMPONENTS)}


def lm_derived(v, layers):
    lm = v["language_model"]
    assert lm["verdict"] == "derived" and lm["p_value"] < ALPHA, lm
    assert set(layers) <= set(lm["layers"]), lm["layers"]


@pytest.mark.parametrize("seed, data_seed", [(1, 5), (2, 0)], ids=["independent", "same-data-other-seed"])
def test_independent_models_show_no_evidence(ref, tmp_path, seed, data_seed):
    v = verdicts(ref, M.model(seed, data_seed=data_seed), tmp_path)
    assert all(c["verdict"] != "derived" for c in v.values()), {k: (c["verdict"], c["p_value"]) for k, c in v.items()}


def test_fine_tuned(ref, tmp_path):
    state = {**M.train_lm(3, steps=10, data_seed=9, init=ref[0]), **M.vision_tower(0)}
    lm_derived(verdicts(ref, state, tmp_path), [0, 1, 2, 3])


def test_heavily_perturbed_continued_training(ref, tmp_path):
    state = M.add_noise({**M.train_lm(3, steps=60, data_seed=9, init=ref[0], lr=1e-2), **M.vision_tower(7)}, 0.5, 1)
    lm_derived(verdicts(ref, state, tmp_path), [0])


def test_permuted_rescaled_folded(ref, tmp_path):
    lm_derived(verdicts(ref, M.permute_rescale_fold(ref[0], 1), tmp_path), [0, 1, 2, 3])


def test_rotated_residual_basis_found_by_unit_matching_alone(ref, tmp_path):
    state = M.rotate_residual(M.permute_rescale_fold(ref[0], 1), 2)
    state["model.norm.weight"] = state["model.norm.weight"][::-1].copy()  # leave no same-named tensor intact
    v = verdicts(ref, state, tmp_path)
    lm_derived(v, [0, 1, 2, 3])
    mlp = [e for e in v["language_model"]["evidence"] if e["kind"] == "mlp" and e["basis"] == "aligned"]
    assert mlp and all(e["adjusted_p"] < ALPHA and e["rho"] > 0.9 for e in mlp[:4])


def test_pruned_layers_and_units(ref, tmp_path):
    v = verdicts(ref, M.prune(ref[0]), tmp_path)
    lm_derived(v, [0, 1, 2])
    assert (2, 3) in {tuple(m) for m in v["language_model"]["layer_matches"]}  # candidate layer 2 is reference layer 3


def test_depth_upscaled(ref, tmp_path):
    v = verdicts(ref, M.upscale_depth(ref[0]), tmp_path)
    lm_derived(v, [0, 1, 2, 3, 4, 5])
    matches = {tuple(m) for m in v["language_model"]["layer_matches"]}
    assert {(1, 1), (3, 1), (2, 2), (4, 2)} <= matches


def test_merged_half_and_half(ref, tmp_path):
    lm_derived(verdicts(ref, M.merge(ref[0], M.model(4)), tmp_path), [0, 1, 2, 3])


def test_one_transplanted_block_is_localised(ref, tmp_path):
    v = verdicts(ref, M.transplant_layer(M.model(5), ref[0], 0, 2), tmp_path)
    lm = v["language_model"]
    assert lm["verdict"] == "derived" and lm["layers"] == [0]
    assert {tuple(m) for m in lm["layer_matches"]} == {(0, 2)}
    assert v["embeddings"]["verdict"] != "derived"  # the rest of the model is independent


@pytest.mark.parametrize("noise", [0.0, 0.3], ids=["verbatim", "fine-tuned"])
def test_transplanted_encoder(ref, tmp_path, noise):
    v = verdicts(ref, M.transplant_encoder(M.model(6), ref[0], noise=noise), tmp_path)
    assert v["vision_encoder"]["verdict"] == "derived" and v["vision_encoder"]["p_value"] < ALPHA
    assert set(v["vision_encoder"]["layers"]) == {0, 1}
    assert v["language_model"]["verdict"] != "derived"


def test_quantise_dequantise_round_trip(ref, tmp_path):
    lm_derived(verdicts(ref, M.quantise_roundtrip(ref[0]), tmp_path), [0, 1, 2, 3])
