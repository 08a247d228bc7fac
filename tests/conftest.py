"""Shared fixtures. Tests never reach a hub: models are built here, datasets are our sample sets."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Before anything imports vllm or datasets: offline, in-process vLLM (fast start), and a private cache so
# models are built at test time rather than taken from the user's cache.
_CACHE = Path(tempfile.mkdtemp(prefix="harness-test-cache-"))
os.environ["HARNESS_CACHE"] = str(_CACHE)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# The same settings the `model=tiny` config gives vLLM on CPU.
TINY_VLLM_ARGS = dict(
    dtype="float32",
    enforce_eager=True,
    distributed_executor_backend="uni",
    gpu_memory_utilization=0.3,
    kv_cache_memory_bytes=512 << 20,
    max_model_len=2048,
)


@pytest.fixture(scope="session")
def harness_cache() -> Path:
    return _CACHE


@pytest.fixture(scope="session")
def tiny_model_dir() -> Path:
    """The tiny Llama of `model=tiny`, built once per session where that config expects it."""
    from harness.models.tiny import build_tiny_model

    out = _CACHE / "models" / "tiny"
    if not (out / ".harness-built").exists():
        build_tiny_model(out)
        (out / ".harness-built").write_text("tiny\n")
    return out


@pytest.fixture(scope="session")
def other_tiny_model_dir(tmp_path_factory) -> Path:
    """Same architecture and tokenizer, other weights (seed 1)."""
    from harness.models.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-other"), seed=1)


@pytest.fixture(scope="session")
def tiny_vllm(tiny_model_dir):
    """One in-process vLLM engine on the tiny model for the whole session."""
    from harness.engines.vllm_engine import VLLMEngine

    engine = VLLMEngine(str(tiny_model_dir), engine_args=TINY_VLLM_ARGS)
    yield engine
    engine.close()
