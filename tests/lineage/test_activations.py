"""The fixtures are real models (transformers runs them with the same logits), the disguises preserve the
function, and the activation route (through the harness's HF engine loader, positions matched by
characters across two tokenizers) recovers a rotated residual stream on its own."""

from __future__ import annotations

import numpy as np
import pytest

import disguise as D
import tinylm
from harness.lineage.run import run as lineage_run
from harness.lineage.features import Settings

pytestmark = pytest.mark.slow


def _cfg(tmp_path, texts, activations="always"):
    from omegaconf import OmegaConf

    from harness.config.compose import compose

    cfg = OmegaConf.to_container(compose("lineage", []).lineage, resolve=True)
    probe = tmp_path / "probe.txt"
    probe.write_text("\n".join(texts), encoding="utf-8")
    return {**cfg, "n_perm": 100, "activations": activations, "probe_texts": str(probe)}


def test_fixtures_are_real_llamas_and_mixtrals_and_disguises_keep_the_function(zoo):
    import torch
    from transformers import AutoModelForCausalLM

    ids = torch.tensor([zoo.tokenizer.encode(zoo.texts[0][0]).ids[:48]])
    for name in ("ref", "moe_ref"):
        hf = AutoModelForCausalLM.from_pretrained(str(zoo.save(name)), dtype=torch.float32)
        with torch.no_grad():
            assert torch.allclose(hf(ids).logits, tinylm.logits(zoo.configs[name], zoo.states[name], ids), atol=1e-4), name
    c, s = zoo.configs["ref"], zoo.states["ref"]
    base = tinylm.logits(c, s, ids)
    for disguised in (D.rotate_residual(D.permute_heads(D.permute_units(s, 1), 2, c), 3), D.fold_norms(D.permute_units(s, 4)),
                      D.permute_heads(s, 5, c)):
        assert torch.allclose(tinylm.logits(c, disguised, ids), base, atol=1e-4)
    moe = zoo.states["moe_ref"]
    mc = zoo.configs["moe_ref"]
    assert torch.allclose(tinylm.logits(mc, D.rotate_residual(D.permute_experts(D.permute_units(moe, 6), 7), 8), ids), tinylm.logits(mc, moe, ids), atol=1e-4)


@pytest.fixture(scope="module")
def new_tokenizer_model(zoo):
    """The reference's layers (trained further), units permuted and sign-flipped, residual stream rotated,
    under a new tokenizer whose embeddings were transferred from the old ones by spelling."""
    texts = tinylm.language_texts(0, 3, 400)
    tok = tinylm.train_tokenizer(texts + tinylm.language_texts(2, 3, 200), 384)
    state = D.rotate_residual(D.permute_units(D.transfer_embeddings(zoo.states["ft"], zoo.tokenizer, tok), 11), 12)
    return zoo.save("act-new-tokenizer", state, config=dict(zoo.configs["ref"], vocab=384), tokenizer=tok)


def test_activation_route_finds_kept_layers_under_a_new_tokenizer(zoo, new_tokenizer_model, tmp_path):
    texts = tinylm.language_texts(0, 9, 40)
    report = lineage_run(str(new_tokenizer_model), [str(zoo.save("ref"))], _cfg(tmp_path, texts), Settings())
    lm = next(c for c in report["components"] if c["name"] == "language_model")
    assert lm["verdict"] == "derived"
    act = lm["strongest_by_route"]["unit_identity/activations"]
    assert act["adjusted_p"] < 1e-6 and act["agreement"] > 0.5, lm["strongest_by_route"]
    assert "activations" in report["comparisons"][0]["alignment"]["language_model"]


def test_activation_route_does_not_accuse_independent_models(zoo, tmp_path):
    texts = tinylm.language_texts(0, 9, 40)
    for name in ("ind2", "ind9"):
        report = lineage_run(str(zoo.save(name)), [str(zoo.save("ref"))], _cfg(tmp_path, texts), Settings())
        assert report["activation_route"] and report["verdict"] == "no evidence", [(c["name"], c["verdict"], c["p_value"]) for c in report["components"]]
        ckas = [e["cka"] for c in report["components"] for e in c["evidence"] if e["kind"] == "cka"]
        assert ckas and max(ckas) < 0.98


def test_a_sketch_reference_says_why_the_activation_route_did_not_run(zoo, tmp_path):
    from harness.lineage.checkpoint import Checkpoint
    from harness.lineage.summary import save_sketch, summarise

    sketch = save_sketch(summarise(Checkpoint.open(zoo.save("ref"))), tmp_path / "ref.sketch")
    report = lineage_run(str(zoo.save("ind3")), [str(sketch)], _cfg(tmp_path, ["a b c"]), Settings())
    assert any("sketch holds no model" in n for n in report["activation_route"])
    assert np.isfinite([c["p_value"] for c in report["components"]]).all()
