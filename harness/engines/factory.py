"""Build the one engine a job uses from its ModelSpec. Engine modules import lazily: vLLM only when asked."""

from __future__ import annotations

import os

from harness.config.spec import ModelSpec
from harness.engines.base import Engine


def make_engine(model: ModelSpec, *, seed: int = 0) -> Engine:
    os.environ.update(model.env)  # before the engine's import: vLLM reads its settings from the environment
    args = dict(model.engine_args)
    if model.engine == "vllm":
        from harness.engines.vllm_engine import VLLMEngine

        return VLLMEngine(
            model.path, tokenizer=model.tokenizer, engine_args=args, batch_invariant=model.batch_invariant,
            trust_remote_code=model.trust_remote_code, seed=seed,
        )
    if model.engine == "hf":
        from harness.engines.hf_engine import HFEngine

        return HFEngine(model.path, tokenizer=model.tokenizer, trust_remote_code=model.trust_remote_code, **args)
    if model.engine == "openai":
        from harness.engines.openai_engine import OpenAIEngine

        return OpenAIEngine(tokenizer=model.tokenizer or model.path, **args)
    raise ValueError(f"unknown engine {model.engine!r}")
