"""Small Llama-shaped checkpoints with a vision-encoder-like sub-module, built and transformed in tests.

The language model is a real `LlamaForCausalLM` trained a few steps on generated token data (so "trained
from different seeds on the same data" is a real hardest negative); the vision tower is a patch embedding
plus MLP/attention blocks named like ViT towers. Transformations act on state dicts as numpy arrays.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

D, LAYERS, FF, HEADS, VOCAB = 64, 4, 128, 4, 256
DV, VLAYERS, VFF = 48, 2, 96


def _data(seed: int, n: int = 16, length: int = 32):
    import torch

    g = torch.Generator().manual_seed(seed)
    # a little structure: tokens follow a noisy arithmetic progression, so training has something to learn
    start = torch.randint(0, VOCAB, (n, 1), generator=g)
    step = torch.randint(1, 5, (n, 1), generator=g)
    noise = (torch.rand((n, length), generator=g) < 0.1) * torch.randint(0, VOCAB, (n, length), generator=g)
    return (start + step * torch.arange(length) + noise) % VOCAB


def train_lm(seed: int, steps: int = 20, data_seed: int = 0, init: dict | None = None, lr: float = 3e-3) -> dict[str, np.ndarray]:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=VOCAB, hidden_size=D, intermediate_size=FF, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                      num_key_value_heads=HEADS, max_position_embeddings=64, tie_word_embeddings=False)
    model = LlamaForCausalLM(cfg)
    if init is not None:
        model.load_state_dict({k: torch.tensor(v) for k, v in init.items() if not k.startswith("vision_tower")}, strict=False)
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    for step in range(steps):
        batch = _data(data_seed * 1000 + step)
        loss = model(input_ids=batch, labels=batch).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {k: v.detach().numpy().astype(np.float32).copy() for k, v in model.state_dict().items()}


def vision_tower(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed + 10_000)
    t = {"vision_tower.patch_embed.weight": rng.normal(0, 0.1, (DV, 3, 4, 4))}
    for i in range(VLAYERS):
        p = f"vision_tower.layers.{i}."
        t[p + "mlp.gate_proj.weight"] = rng.normal(0, 0.1, (VFF, DV))
        t[p + "mlp.up_proj.weight"] = rng.normal(0, 0.1, (VFF, DV))
        t[p + "mlp.down_proj.weight"] = rng.normal(0, 0.1, (DV, VFF))
        for r in ("q", "k", "v", "o"):
            t[p + f"self_attn.{r}_proj.weight"] = rng.normal(0, 0.1, (DV, DV))
        t[p + "input_layernorm.weight"] = np.ones(DV)
    t["vision_tower.projector.weight"] = rng.normal(0, 0.1, (D, DV))
    return {k: v.astype(np.float32) for k, v in t.items()}


def model(seed: int, *, steps: int = 20, data_seed: int = 0) -> dict[str, np.ndarray]:
    return {**train_lm(seed, steps, data_seed), **vision_tower(seed)}


def save(state: dict[str, np.ndarray], out: Path, tokenizer_from: Path | None = None, shards: int = 1) -> Path:
    from safetensors.numpy import save_file

    out.mkdir(parents=True, exist_ok=True)
    names = sorted(state)
    if shards == 1:
        save_file({k: np.ascontiguousarray(state[k]) for k in names}, str(out / "model.safetensors"))
    else:
        weight_map = {}
        for s in range(shards):
            part = names[s::shards]
            fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            save_file({k: np.ascontiguousarray(state[k]) for k in part}, str(out / fname))
            weight_map.update({k: fname for k in part})
        (out / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    (out / "config.json").write_text(json.dumps({"architectures": ["LlavaLikeForCausalLM"], "hidden_size": D, "vision_config": {"hidden_size": DV}}))
    if tokenizer_from is not None:
        (out / "tokenizer.json").write_text((tokenizer_from / "tokenizer.json").read_text())
    return out


# ---- transformations ---------------------------------------------------------------------------------

def _layers(state):
    return sorted({int(k.split(".")[2]) for k in state if k.startswith("model.layers.")})


def permute_rescale_fold(state, seed: int):
    """Permute every layer's hidden units, rescale them (up ×c, down ÷c), and fold the norm gains into the
    weights that read them: the same function, different weights."""
    rng = np.random.default_rng(seed)
    s = {k: v.copy() for k, v in state.items()}
    for i in _layers(s):
        p = f"model.layers.{i}."
        perm = rng.permutation(s[p + "mlp.gate_proj.weight"].shape[0])
        c = rng.uniform(0.5, 2.0, len(perm)).astype(np.float32)
        s[p + "mlp.gate_proj.weight"] = s[p + "mlp.gate_proj.weight"][perm]
        s[p + "mlp.up_proj.weight"] = s[p + "mlp.up_proj.weight"][perm] * c[:, None]
        s[p + "mlp.down_proj.weight"] = s[p + "mlp.down_proj.weight"][:, perm] / c[None, :]
        g1, g2 = s[p + "input_layernorm.weight"], s[p + "post_attention_layernorm.weight"]
        for r in ("q", "k", "v"):
            s[p + f"self_attn.{r}_proj.weight"] = s[p + f"self_attn.{r}_proj.weight"] * g1[None, :]
        for r in ("gate", "up"):
            s[p + f"mlp.{r}_proj.weight"] = s[p + f"mlp.{r}_proj.weight"] * g2[None, :]
        s[p + "input_layernorm.weight"] = np.ones_like(g1)
        s[p + "post_attention_layernorm.weight"] = np.ones_like(g2)
    return s


def rotate_residual(state, seed: int):
    """An orthogonal change of the residual basis applied to everything that reads or writes it."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((D, D)))
    q = q.astype(np.float32)
    s = {k: v.copy() for k, v in state.items()}
    s["model.embed_tokens.weight"] = s["model.embed_tokens.weight"] @ q
    s["lm_head.weight"] = s["lm_head.weight"] @ q
    for i in _layers(s):
        p = f"model.layers.{i}."
        for r in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.gate_proj", "mlp.up_proj"):
            s[p + r + ".weight"] = s[p + r + ".weight"] @ q
        for r in ("self_attn.o_proj", "mlp.down_proj"):
            s[p + r + ".weight"] = q.T @ s[p + r + ".weight"]
    return s


def prune(state, keep_layers=(0, 1, 3), keep_units: float = 0.75, seed: int = 0):
    rng = np.random.default_rng(seed)
    s = {k: v for k, v in state.items() if not k.startswith("model.layers.")}
    for new, old in enumerate(keep_layers):
        units = np.sort(rng.choice(FF, int(FF * keep_units), replace=False))
        for k, v in state.items():
            if k.startswith(f"model.layers.{old}."):
                nk = k.replace(f"model.layers.{old}.", f"model.layers.{new}.")
                if "gate_proj" in k or "up_proj" in k:
                    v = v[units]
                elif "down_proj" in k:
                    v = v[:, units]
                s[nk] = v.copy()
    return s


def upscale_depth(state, order=(0, 1, 2, 1, 2, 3)):
    s = {k: v for k, v in state.items() if not k.startswith("model.layers.")}
    for new, old in enumerate(order):
        for k, v in state.items():
            if k.startswith(f"model.layers.{old}."):
                s[k.replace(f"model.layers.{old}.", f"model.layers.{new}.")] = v.copy()
    return s


def merge(a, b, w: float = 0.5):
    return {k: (w * a[k] + (1 - w) * b[k]).astype(np.float32) for k in a}


def transplant_layer(host, donor, host_layer: int, donor_layer: int):
    s = {k: v.copy() for k, v in host.items()}
    for k, v in donor.items():
        if k.startswith(f"model.layers.{donor_layer}."):
            s[k.replace(f"model.layers.{donor_layer}.", f"model.layers.{host_layer}.")] = v.copy()
    return s


def transplant_encoder(host, donor, noise: float = 0.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    s = {k: v.copy() for k, v in host.items() if not k.startswith("vision_tower")}
    for k, v in donor.items():
        if k.startswith("vision_tower"):
            s[k] = (v + noise * v.std() * rng.standard_normal(v.shape)).astype(np.float32) if noise else v.copy()
    return s


def quantise_roundtrip(state, bits: int = 8):
    out = {}
    for k, v in state.items():
        if v.ndim == 2:
            scale = np.abs(v).max(axis=1, keepdims=True) / (2 ** (bits - 1) - 1)
            scale[scale == 0] = 1
            out[k] = (np.round(v / scale) * scale).astype(np.float32)
        else:
            out[k] = v.copy()
    return out


def add_noise(state, scale: float, seed: int):
    rng = np.random.default_rng(seed)
    return {k: (v + scale * v.std() * rng.standard_normal(v.shape)).astype(np.float32) if v.ndim == 2 else v.copy() for k, v in state.items()}
