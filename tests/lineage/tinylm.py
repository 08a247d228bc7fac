"""Small language models that are really trained, built at test time: a generated language, a byte-level BPE
tokenizer, and a pure-torch Llama-family model with Hugging Face's parameter names and arithmetic (RMSNorm,
rotate-half RoPE, GQA, SwiGLU; Mixtral-style experts), so the saved checkpoints load as `LlamaForCausalLM`
/ `MixtralForCausalLM` with the same logits (tested in test_activations.py). A few hundred AdamW steps on
CPU take seconds; torch's own loop is several times faster here than transformers' for models this small.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SYLLABLES = [chr(c) for c in range(0xAC00, 0xAC00 + 120, 3)] + list("abcdefghijklmnopqrstuvwxyz")


def language_texts(lang: int, sample: int, n: int, length: int = 40) -> list[str]:
    """Texts of one generated language: a Zipf-distributed vocabulary of words (Korean syllables and Latin
    letters) with sparse word-to-word transitions. Different `lang` values are different languages over
    the same characters; `sample` draws other texts of the same language."""
    rng = np.random.default_rng(lang)
    n_words = 300
    words = ["".join(rng.choice(SYLLABLES, rng.integers(1, 4))) for _ in range(n_words)]
    freq = 1 / np.arange(1, n_words + 1) ** 1.1
    freq /= freq.sum()
    trans = 0.3 * np.tile(freq, (n_words, 1))
    for w in range(n_words):
        trans[w, rng.choice(n_words, 8, p=freq)] += 0.7 * rng.dirichlet(np.ones(8))
    cum = np.cumsum(trans / trans.sum(1, keepdims=True), axis=1)
    draw = np.random.default_rng(1000 + 7 * lang + sample)
    out = []
    for _ in range(n):
        w, sent = int(draw.integers(n_words)), []
        for u in draw.random(length):
            sent.append(words[w])
            w = min(int(np.searchsorted(cum[w], u)), n_words - 1)
        out.append(" ".join(sent) + ".")
    return out


def train_tokenizer(texts: list[str], vocab_size: int = 512):
    from tokenizers import ByteLevelBPETokenizer

    tok = ByteLevelBPETokenizer()
    tok.train_from_iterator(texts, vocab_size=vocab_size, min_frequency=2, special_tokens=["<s>", "</s>", "<pad>"], show_progress=False)
    return tok


def token_batches(tok, texts: list[str], seq: int = 64):
    import torch

    ids: list[int] = []
    for t in texts:
        ids += tok.encode(t).ids + [1]
    n = len(ids) // seq
    return torch.tensor(np.array(ids[: n * seq]).reshape(n, seq))


def _modules():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class RMSNorm(nn.Module):
        def __init__(self, d):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(d))

        def forward(self, x):
            return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))

    def rope(x):
        t, hd = x.shape[-2], x.shape[-1]
        inv = 1.0 / (10000.0 ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        f = torch.outer(torch.arange(t, dtype=torch.float32), inv)
        emb = torch.cat([f, f], -1)
        return x * emb.cos() + torch.cat([-x[..., hd // 2 :], x[..., : hd // 2]], -1) * emb.sin()

    class Attention(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.h, self.kv, self.hd = c["heads"], c["kv_heads"], c["d"] // c["heads"]
            b = c.get("bias", False)
            self.q_proj = nn.Linear(c["d"], self.h * self.hd, bias=b)
            self.k_proj = nn.Linear(c["d"], self.kv * self.hd, bias=b)
            self.v_proj = nn.Linear(c["d"], self.kv * self.hd, bias=b)
            self.o_proj = nn.Linear(self.h * self.hd, c["d"], bias=False)

        def forward(self, x):
            b, t, _ = x.shape
            q = rope(self.q_proj(x).view(b, t, self.h, self.hd).transpose(1, 2))
            k = rope(self.k_proj(x).view(b, t, self.kv, self.hd).transpose(1, 2))
            v = self.v_proj(x).view(b, t, self.kv, self.hd).transpose(1, 2)
            rep = self.h // self.kv
            o = F.scaled_dot_product_attention(q, k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1), is_causal=True)
            return self.o_proj(o.transpose(1, 2).reshape(b, t, -1))

    class MLP(nn.Module):
        def __init__(self, d, ff):
            super().__init__()
            self.gate_proj, self.up_proj, self.down_proj = nn.Linear(d, ff, bias=False), nn.Linear(d, ff, bias=False), nn.Linear(ff, d, bias=False)

        def forward(self, x):
            return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))

    class Expert(nn.Module):  # Mixtral's names: w1 gate, w3 up, w2 down
        def __init__(self, d, ff):
            super().__init__()
            self.w1, self.w2, self.w3 = nn.Linear(d, ff, bias=False), nn.Linear(ff, d, bias=False), nn.Linear(d, ff, bias=False)

        def forward(self, x):
            return self.w2(F.silu(self.w1(x)) * self.w3(x))

    class MoE(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.top = c.get("top_k", 2)
            self.gate = nn.Linear(c["d"], c["experts"], bias=False)
            self.experts = nn.ModuleList(Expert(c["d"], c["ff"]) for _ in range(c["experts"]))

        def forward(self, x):
            w, idx = F.softmax(self.gate(x), -1).topk(self.top, -1)
            w = w / w.sum(-1, keepdim=True)
            out = torch.zeros_like(x)
            for e, ex in enumerate(self.experts):
                weight = (w * (idx == e)).sum(-1, keepdim=True)
                out = out + ex(x) * weight
            return out

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.input_layernorm, self.post_attention_layernorm = RMSNorm(c["d"]), RMSNorm(c["d"])
            self.self_attn = Attention(c)
            if c.get("experts"):
                self.block_sparse_moe = MoE(c)
            else:
                self.mlp = MLP(c["d"], c["ff"])

        def forward(self, x):
            x = x + self.self_attn(self.input_layernorm(x))
            mlp = self.block_sparse_moe if hasattr(self, "block_sparse_moe") else self.mlp
            return x + mlp(self.post_attention_layernorm(x))

    class CausalLM(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.model = nn.Module()
            self.model.embed_tokens = nn.Embedding(c["vocab"], c["d"])
            self.model.layers = nn.ModuleList(Block(c) for _ in range(c["layers"]))
            self.model.norm = RMSNorm(c["d"])
            self.lm_head = nn.Linear(c["d"], c["vocab"], bias=False)
            for name, p in self.named_parameters():
                if p.dim() == 2:
                    nn.init.normal_(p, std=0.02)
                elif name.endswith("bias"):
                    nn.init.zeros_(p)

        def forward(self, ids):
            x = self.model.embed_tokens(ids)
            for block in self.model.layers:
                x = block(x)
            return self.lm_head(self.model.norm(x))

    return CausalLM


def train(c: dict, data, seed: int, steps: int = 250, batch: int = 16, lr: float = 3e-3, init: dict | None = None,
          only: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """AdamW with a short warm-up; returns the state dict as fp32 numpy arrays. One thread: with other
    processes on two cores, torch's thread pool slows small models down by orders of magnitude."""
    import torch
    import torch.nn.functional as F

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        model = _modules()(c)
        if init is not None:
            model.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
        params = [p for n, p in model.named_parameters() if only is None or n.startswith(only)]  # `only`: train these, freeze the rest
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
        g = torch.Generator().manual_seed(seed)
        for step in range(steps):
            for group in opt.param_groups:
                group["lr"] = lr * min(1.0, (step + 1) / 20)
            b = data[torch.randint(0, len(data), (batch,), generator=g)]
            logits = model(b[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), b[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
        return {k: v.detach().numpy().astype(np.float32).copy() for k, v in model.state_dict().items()}
    finally:
        torch.set_num_threads(threads)


def logits(c: dict, state: dict[str, np.ndarray], ids):
    import torch

    model = _modules()(c)
    model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    with torch.no_grad():
        return model(ids)


def hf_config(c: dict) -> dict:
    base = {"hidden_size": c["d"], "intermediate_size": c["ff"], "num_hidden_layers": c["layers"], "num_attention_heads": c["heads"],
            "num_key_value_heads": c["kv_heads"], "vocab_size": c["vocab"], "max_position_embeddings": 512, "rms_norm_eps": 1e-6,
            "rope_theta": 10000.0, "tie_word_embeddings": False, "hidden_act": "silu", "bos_token_id": 0, "eos_token_id": 1,
            "torch_dtype": "float32"}
    if c.get("experts"):
        return {**base, "architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "num_local_experts": c["experts"],
                "num_experts_per_tok": c.get("top_k", 2), "sliding_window": None, "router_jitter_noise": 0.0}
    if c.get("bias"):
        return {**base, "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "use_sliding_window": False}
    return {**base, "architectures": ["LlamaForCausalLM"], "model_type": "llama", "attention_bias": False, "mlp_bias": False}


def save(state: dict[str, np.ndarray], out: Path, config: dict | None, tokenizer=None, shards: int = 1, dtype: str = "float32") -> Path:
    """A checkpoint directory: safetensors (sharded with an index when shards > 1), config.json, tokenizer."""
    import torch
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    names = sorted(state)
    tensors = {k: torch.tensor(np.ascontiguousarray(state[k])).to(getattr(torch, dtype)).contiguous() for k in names}
    if shards == 1:
        save_file(tensors, str(out / "model.safetensors"))
    else:
        weight_map = {}
        for s in range(shards):
            fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            save_file({k: tensors[k] for k in names[s::shards]}, str(out / fname))
            weight_map.update({k: fname for k in names[s::shards]})
        (out / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    if config is not None:
        (out / "config.json").write_text(json.dumps(config))
    if tokenizer is not None:
        tokenizer.save(str(out / "tokenizer.json"))
        (out / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>",
                                                               "eos_token": "</s>", "pad_token": "<pad>", "add_bos_token": False}))
    return out


def vision_tower(seed: int, d: int = 48, layers: int = 2, ff: int = 96, prefix: str = "vision_tower.vision_model.") -> dict[str, np.ndarray]:
    """A SigLIP-shaped encoder (names as in transformers: patch embedding, fc1/fc2 MLPs, LayerNorms with
    biases). Random weights, not trained: it serves the layout and transplant tests, not calibration."""
    rng = np.random.default_rng(seed + 10_000)
    t = {prefix + "embeddings.patch_embedding.weight": rng.normal(0, 0.1, (d, 3, 4, 4)),
         prefix + "embeddings.patch_embedding.bias": np.zeros(d), prefix + "post_layernorm.weight": 1 + 0.1 * rng.standard_normal(d)}
    for i in range(layers):
        p = f"{prefix}encoder.layers.{i}."
        t[p + "mlp.fc1.weight"], t[p + "mlp.fc1.bias"] = rng.normal(0, 0.1, (ff, d)), rng.normal(0, 0.01, ff)
        t[p + "mlp.fc2.weight"], t[p + "mlp.fc2.bias"] = rng.normal(0, 0.1, (d, ff)), rng.normal(0, 0.01, d)
        for r in ("q", "k", "v", "out"):
            t[p + f"self_attn.{r}_proj.weight"], t[p + f"self_attn.{r}_proj.bias"] = rng.normal(0, 0.1, (d, d)), np.zeros(d)
        for n in ("layer_norm1", "layer_norm2"):
            t[p + f"{n}.weight"], t[p + f"{n}.bias"] = 1 + 0.1 * rng.standard_normal(d), np.zeros(d)
    return {k: v.astype(np.float32) for k, v in t.items()}


def zoo_corpus(vocab: int):
    """The test zoo's three generated languages and one tokenizer trained on all of them."""
    texts = {lang: language_texts(lang, 0, 500) for lang in (0, 1, 2)}
    return train_tokenizer(texts[0] + texts[1] + texts[2], vocab), texts


def zoo_train_job(job):
    """One zoo model, in a worker process: (name, config, seed, language, init state, steps, lr, vocab)."""
    name, c, seed, lang, init, steps, lr, vocab = job
    tok, texts = zoo_corpus(vocab)
    return name, train(c, token_batches(tok, texts[lang]), seed, steps=steps, lr=lr, init=init)
