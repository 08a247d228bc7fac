"""A tiny, real Llama model built locally: no downloads, byte-identical on every rebuild.

Tests and offline demos need a model that real engines (vLLM, transformers) load like any checkpoint. We
train a byte-level BPE tokenizer on generated English and Korean text, random-initialise a small
`LlamaForCausalLM` from a fixed seed and save both with `save_pretrained` (safetensors).
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}"
    "{{ '<|' + m['role'] + '|>\n' + m['content'] + '<|end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}"
    "{% if enable_thinking is defined and enable_thinking %}{{ '<think>' }}{% endif %}"
    "{% endif %}"
)

_WORDS_EN = (
    "the answer is question model score run seed paris capital france two plus four math korea seoul "
    "choice option true false number sum total because therefore first second third last final"
).split()
_WORDS_KO = "정답은 질문 모델 점수 서울 한국 수도 하나 둘 셋 넷 그러므로 따라서 선택 답 문제 계산 합계".split()
_SPECIAL = ["<|endoftext|>", "<|pad|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>", "<think>", "</think>"]


def _corpus(seed: int, lines: int = 4000) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        words = rng.choices(_WORDS_EN + _WORDS_KO, k=rng.randint(3, 12))
        nums = [str(rng.randint(0, 999)) for _ in range(rng.randint(0, 3))]
        letters = [f"({c})" for c in rng.sample("ABCDEFGHIJ", rng.randint(0, 4))]
        toks = words + nums + letters
        rng.shuffle(toks)
        out.append(" ".join(toks) + rng.choice([".", "?", "!", ":", " ="]))
    return out


def build_tiny_model(
    out_dir: str | os.PathLike,
    *,
    seed: int = 0,
    vocab_size: int = 512,
    hidden_size: int = 128,
    num_layers: int = 2,
    num_heads: int = 4,
    intermediate_size: int = 256,
    max_position_embeddings: int = 16384,
) -> Path:
    """Build the tiny model into `out_dir` (created) and return it. Same arguments → same bytes."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=_SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(seed=1234), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|pad|>",
        unk_token="<|endoftext|>",
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(out)

    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_heads,
        max_position_embeddings=max_position_embeddings,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
        tie_word_embeddings=False,
        torch_dtype="float32",
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    # Random init with std 0.02 gives near-uniform next-token distributions; a larger output scale makes
    # sampled runs visibly differ from greedy ones while staying a valid model.
    with torch.no_grad():
        model.lm_head.weight.mul_(8.0)
    model.save_pretrained(out, safe_serialization=True)
    (out / "harness_tiny.json").write_text(json.dumps({"seed": seed, "builder": "harness.models.tiny"}))
    return out
