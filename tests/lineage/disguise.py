"""Function-preserving disguises (and ordinary derivations) of a Llama-family state dict with HF names.

Every exact disguise here leaves the network's function unchanged (test_activations.py checks the logits):
unit permutation with sign flips and rescaling (up ×c, down ÷c, c of either sign), norm gains folded into the
matrices that read them, residual rotation (after folding), attention-head permutation within KV groups,
expert permutation (with the router's rows), renaming to other families' layouts, fused tensors, dtype casts.
"""

from __future__ import annotations

import numpy as np


def _layers(s):
    return sorted({int(k.split(".")[2]) for k in s if k.startswith("model.layers.")})


def _mlps(s, p):
    """(gate, up, down) names of each MLP of a layer: the dense one, or each expert."""
    if p + "mlp.gate_proj.weight" in s:
        return [(p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight", p + "mlp.down_proj.weight")]
    e = sorted({int(k.split(".")[5]) for k in s if k.startswith(p + "block_sparse_moe.experts.")})
    return [tuple(p + f"block_sparse_moe.experts.{i}.{w}.weight" for w in ("w1", "w3", "w2")) for i in e]


def fold_norms(s):
    s = {k: v.copy() for k, v in s.items()}
    for i in _layers(s):
        p = f"model.layers.{i}."
        g1, g2 = s[p + "input_layernorm.weight"], s[p + "post_attention_layernorm.weight"]
        for r in "qkv":
            s[p + f"self_attn.{r}_proj.weight"] = s[p + f"self_attn.{r}_proj.weight"] * g1[None]
        readers = [n for mlp in _mlps(s, p) for n in mlp[:2]] + ([p + "block_sparse_moe.gate.weight"] if p + "block_sparse_moe.gate.weight" in s else [])
        for n in readers:
            s[n] = s[n] * g2[None]
        s[p + "input_layernorm.weight"], s[p + "post_attention_layernorm.weight"] = np.ones_like(g1), np.ones_like(g2)
    s["lm_head.weight"] = s["lm_head.weight"] * s["model.norm.weight"][None]
    s["model.norm.weight"] = np.ones_like(s["model.norm.weight"])
    return s


def permute_units(s, seed: int, signs: bool = True, scale: bool = True):
    """Permute every MLP's hidden units; multiply up rows by c and divide down columns by c (c < 0: a sign flip)."""
    rng = np.random.default_rng(seed)
    s = {k: v.copy() for k, v in s.items()}
    for i in _layers(s):
        for gate, up, down in _mlps(s, f"model.layers.{i}."):
            ff = s[gate].shape[0]
            perm = rng.permutation(ff)
            c = (rng.uniform(0.5, 2.0, ff) if scale else np.ones(ff)) * (rng.choice([-1.0, 1.0], ff) if signs else 1.0)
            s[gate] = s[gate][perm]
            s[up] = s[up][perm] * c[:, None]
            s[down] = s[down][:, perm] / c[None, :]
    return s


def permute_heads(s, seed: int, c: dict):
    """Permute KV groups, and query heads within each group (q rows, o columns; k, v rows by group)."""
    rng = np.random.default_rng(seed)
    s = {k: v.copy() for k, v in s.items()}
    hd, kv, rep = c["d"] // c["heads"], c["kv_heads"], c["heads"] // c["kv_heads"]
    for i in _layers(s):
        p = f"model.layers.{i}.self_attn."
        groups = rng.permutation(kv)
        q_order = np.concatenate([g * rep + rng.permutation(rep) for g in groups])
        qi = np.concatenate([np.arange(h * hd, (h + 1) * hd) for h in q_order])
        ki = np.concatenate([np.arange(g * hd, (g + 1) * hd) for g in groups])
        s[p + "q_proj.weight"], s[p + "o_proj.weight"] = s[p + "q_proj.weight"][qi], s[p + "o_proj.weight"][:, qi]
        s[p + "k_proj.weight"], s[p + "v_proj.weight"] = s[p + "k_proj.weight"][ki], s[p + "v_proj.weight"][ki]
    return s


def rotate_residual(s, seed: int):
    """An orthogonal change of the residual basis (norms folded first, so RMSNorm commutes with it)."""
    s = fold_norms(s)
    d = s["model.embed_tokens.weight"].shape[1]
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    q = q.astype(np.float32)
    for k in list(s):
        v = s[k]
        if k in ("model.embed_tokens.weight", "lm_head.weight") or (v.ndim == 2 and v.shape[1] == d and not k.endswith("o_proj.weight")
                                                                    and not k.endswith("down_proj.weight") and not k.endswith("w2.weight")):
            s[k] = v @ q
        elif k.endswith(("o_proj.weight", "down_proj.weight", "w2.weight")):
            s[k] = q.T @ v
    return s


def permute_experts(s, seed: int):
    """Reorder each layer's experts together with the router's rows."""
    rng = np.random.default_rng(seed)
    out = {k: v.copy() for k, v in s.items()}
    for i in _layers(s):
        p = f"model.layers.{i}.block_sparse_moe."
        n = s[p + "gate.weight"].shape[0]
        perm = rng.permutation(n)
        out[p + "gate.weight"] = s[p + "gate.weight"][perm]
        for new, old in enumerate(perm):
            for w in ("w1", "w2", "w3"):
                out[p + f"experts.{new}.{w}.weight"] = s[p + f"experts.{old}.{w}.weight"].copy()
    return out


def reinit_embeddings(s, seed: int, vocab: int | None = None):
    """Fresh token embeddings and unembeddings (a new tokenizer): nothing left to align through."""
    rng = np.random.default_rng(seed)
    s = dict(s)
    for k in ("model.embed_tokens.weight", "lm_head.weight"):
        n = vocab or s[k].shape[0]
        s[k] = (0.02 * rng.standard_normal((n, s[k].shape[1]))).astype(np.float32)
    return s


def transplant_rotated_embeddings(host, donor, seed: int):
    """The donor's embeddings (and unembeddings), rotated, in an otherwise independent host."""
    d = donor["model.embed_tokens.weight"].shape[1]
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    s = {k: v.copy() for k, v in host.items()}
    s["model.embed_tokens.weight"] = (donor["model.embed_tokens.weight"] @ q).astype(np.float32)
    return s


def to_meta_names(s):
    """Meta/Mistral original layout: layers.N.attention.wq, feed_forward.w1/w2/w3, tok_embeddings, output."""
    table = {"self_attn.q_proj": "attention.wq", "self_attn.k_proj": "attention.wk", "self_attn.v_proj": "attention.wv",
             "self_attn.o_proj": "attention.wo", "mlp.gate_proj": "feed_forward.w1", "mlp.down_proj": "feed_forward.w2",
             "mlp.up_proj": "feed_forward.w3", "input_layernorm": "attention_norm", "post_attention_layernorm": "ffn_norm",
             "block_sparse_moe.gate": "feed_forward.gate", "block_sparse_moe.experts": "feed_forward.experts"}
    out = {}
    for k, v in s.items():
        n = k.replace("model.embed_tokens", "tok_embeddings").replace("lm_head", "output").replace("model.norm", "norm").replace("model.layers", "layers")
        for a, b in table.items():
            n = n.replace(a, b)
        out[n] = v
    return out


def to_phi3_fused(s):
    """Phi-3 layout: fused self_attn.qkv_proj and mlp.gate_up_proj."""
    out = {}
    for k, v in s.items():
        if k.endswith("self_attn.q_proj.weight"):
            p = k[: -len("q_proj.weight")]
            out[p + "qkv_proj.weight"] = np.concatenate([s[p + "q_proj.weight"], s[p + "k_proj.weight"], s[p + "v_proj.weight"]])
        elif k.endswith("mlp.gate_proj.weight"):
            p = k[: -len("gate_proj.weight")]
            out[p + "gate_up_proj.weight"] = np.concatenate([s[p + "gate_proj.weight"], s[p + "up_proj.weight"]])
        elif not k.endswith(("k_proj.weight", "v_proj.weight", "up_proj.weight")):
            out[k] = v
    return out


def noise(s, scale: float, seed: int):
    rng = np.random.default_rng(seed)
    return {k: (v + scale * v.std() * rng.standard_normal(v.shape)).astype(np.float32) if v.ndim == 2 else v.copy() for k, v in s.items()}


def merge(a, b, w: float):
    return {k: (w * a[k] + (1 - w) * b[k]).astype(np.float32) for k in a}


def upscale_depth(s, order):
    out = {k: v for k, v in s.items() if not k.startswith("model.layers.")}
    for new, old in enumerate(order):
        for k, v in s.items():
            if k.startswith(f"model.layers.{old}."):
                out[k.replace(f"model.layers.{old}.", f"model.layers.{new}.")] = v.copy()
    return out


def prune_units(s, keep: float, seed: int):
    rng = np.random.default_rng(seed)
    s = {k: v.copy() for k, v in s.items()}
    for i in _layers(s):
        for gate, up, down in _mlps(s, f"model.layers.{i}."):
            units = np.sort(rng.choice(s[gate].shape[0], int(s[gate].shape[0] * keep), replace=False))
            s[gate], s[up], s[down] = s[gate][units], s[up][units], s[down][:, units]
    return s


def transfer_embeddings(s, old_tok, new_tok):
    """A new tokenizer whose embeddings start from the old ones: each new token's rows are the mean of the old
    rows of the old tokens that spell it (the usual way to swap a tokenizer without retraining the body)."""
    s = dict(s)
    n = new_tok.get_vocab_size()
    for k in ("model.embed_tokens.weight", "lm_head.weight"):
        old = s[k]
        rows = []
        for i in range(n):
            ids = old_tok.encode(new_tok.decode([i])).ids or [0]
            rows.append(old[ids].mean(axis=0))
        s[k] = np.stack(rows).astype(np.float32)
    return s
