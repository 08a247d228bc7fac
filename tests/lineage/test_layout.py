"""Tensor names of each family map to the same canonical slots; unknown names stay unmapped."""

import json

import numpy as np
import pytest
from safetensors.numpy import save_file

from harness.errors import HarnessError
from harness.lineage.checkpoint import Checkpoint
from harness.lineage.layout import Slot, map_names, slot_of

LM = "language_model"


@pytest.mark.parametrize("name, slot", [
    # Llama / Mistral / Qwen (HF)
    ("model.layers.3.self_attn.q_proj.weight", Slot(LM, "q", 3)),
    ("model.layers.3.self_attn.k_proj.bias", Slot(LM, "k", 3, kind="bias")),
    ("model.layers.3.mlp.gate_proj.weight", Slot(LM, "gate", 3)),
    ("model.layers.3.mlp.down_proj.weight", Slot(LM, "down", 3)),
    ("model.layers.3.input_layernorm.weight", Slot(LM, "attn_norm", 3)),
    ("model.embed_tokens.weight", Slot("embeddings", "embed")),
    ("lm_head.weight", Slot("embeddings", "lm_head")),
    ("model.norm.weight", Slot("embeddings", "final_norm")),
    # Meta / Mistral original
    ("layers.3.attention.wq.weight", Slot(LM, "q", 3)),
    ("layers.3.attention.wo.weight", Slot(LM, "o", 3)),
    ("layers.3.feed_forward.w1.weight", Slot(LM, "gate", 3)),
    ("layers.3.feed_forward.w3.weight", Slot(LM, "up", 3)),
    ("layers.3.feed_forward.w2.weight", Slot(LM, "down", 3)),
    ("layers.3.ffn_norm.weight", Slot(LM, "mlp_norm", 3)),
    ("tok_embeddings.weight", Slot("embeddings", "embed")),
    ("output.weight", Slot("embeddings", "lm_head")),
    # Phi-3 fused
    ("model.layers.0.self_attn.qkv_proj.weight", Slot(LM, "qkv", 0)),
    ("model.layers.0.mlp.gate_up_proj.weight", Slot(LM, "gate_up", 0)),
    # Mixtral, Qwen-MoE, DeepSeek
    ("model.layers.1.block_sparse_moe.gate.weight", Slot(LM, "router", 1)),
    ("model.layers.1.block_sparse_moe.experts.7.w1.weight", Slot(LM, "gate", 1, "7")),
    ("model.layers.1.mlp.experts.12.down_proj.weight", Slot(LM, "down", 1, "12")),
    ("model.layers.1.mlp.gate.weight", Slot(LM, "router", 1)),
    ("model.layers.1.mlp.shared_experts.up_proj.weight", Slot(LM, "up", 1, "shared")),
    ("model.layers.1.self_attn.kv_a_proj_with_mqa.weight", Slot(LM, "k", 1)),
    # VLM language model, SigLIP / CLIP / Qwen-VL towers, Whisper encoder
    ("model.language_model.layers.2.mlp.up_proj.weight", Slot(LM, "up", 2)),
    ("vision_tower.vision_model.encoder.layers.2.mlp.fc1.weight", Slot("vision_encoder", "up", 2)),
    ("vision_model.encoder.layers.2.self_attn.out_proj.weight", Slot("vision_encoder", "o", 2)),
    ("vision_model.embeddings.patch_embedding.weight", Slot("vision_encoder", "patch")),
    ("visual.blocks.5.attn.qkv.weight", Slot("vision_encoder", "qkv", 5)),
    ("visual.blocks.5.attn.proj.weight", Slot("vision_encoder", "o", 5)),
    ("audio_tower.layers.1.fc2.weight", Slot("audio_encoder", "down", 1)),
])
def test_family_names(name, slot):
    assert slot_of(name) == slot


def test_gemma_post_norms_are_not_the_mlp_norm():
    p = "model.layers.0."
    slots, _ = map_names([p + "input_layernorm.weight", p + "post_attention_layernorm.weight", p + "pre_feedforward_layernorm.weight",
                          p + "post_feedforward_layernorm.weight", p + "mlp.up_proj.weight"])
    assert slots[Slot(LM, "mlp_norm", 0)] == p + "pre_feedforward_layernorm.weight"
    assert slots[Slot(LM, "post_attn_norm", 0)] == p + "post_attention_layernorm.weight"


def test_unknown_names_stay_unmapped():
    slots, unmapped = map_names(["transformer.blk.0.mix.weight", "model.layers.0.mlp.up_proj.weight"])
    assert unmapped == ["transformer.blk.0.mix.weight"] and len(slots) == 1


def test_fused_tensors_split_and_norms_fold(tmp_path):
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((8, 8)), rng.standard_normal((4, 8)), rng.standard_normal((4, 8))
    gate, up, norm = rng.standard_normal((16, 8)), rng.standard_normal((16, 8)), rng.uniform(0.5, 2, 8)
    p = "model.layers.0."
    save_file({p + "self_attn.qkv_proj.weight": np.concatenate([q, k, v]).astype(np.float32),
               p + "mlp.gate_up_proj.weight": np.concatenate([gate, up]).astype(np.float32),
               p + "post_attention_layernorm.weight": norm.astype(np.float32),
               p + "mlp.down_proj.weight": rng.standard_normal((8, 16)).astype(np.float32)}, str(tmp_path / "model.safetensors"))
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": 8, "num_attention_heads": 2, "num_key_value_heads": 1}))
    ck = Checkpoint.open(tmp_path)
    assert np.allclose(ck.reader(LM, "k", 0), k, atol=1e-6) and np.allclose(ck.reader(LM, "v", 0), v, atol=1e-6)
    assert np.allclose(ck.reader(LM, "up", 0), up * norm[None], atol=1e-5)
    assert ck.residual_width(LM) == 8 and ck.layers(LM) == [0]


def test_bad_inputs_name_the_file(tmp_path):
    with pytest.raises(HarnessError, match="nope"):
        Checkpoint.open(tmp_path / "nope")
    (tmp_path / "model.safetensors").write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{oops")
    with pytest.raises(HarnessError, match="model.safetensors"):
        Checkpoint.open(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"a": "missing.safetensors"}}))
    with pytest.raises(HarnessError, match="missing.safetensors"):
        Checkpoint.open(tmp_path)
