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



def tiny_vllm_args() -> dict:
    """The engine arguments the `model=tiny` config gives vLLM on CPU."""
    from harness.config.compose import compose
    from harness.config.spec import build_run_spec

    return dict(build_run_spec(compose("run", ["model=tiny"])).model.engine_args)


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

    engine = VLLMEngine(str(tiny_model_dir), engine_args=tiny_vllm_args())
    yield engine
    engine.close()


class _Borrowed:
    """The session engine lent to a job: the job's close() must not end it."""

    def __init__(self, engine):
        self._engine = engine

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def close(self) -> None:
        pass


@pytest.fixture(scope="session", autouse=True)
def _one_vllm_engine_per_process(request, tiny_model_dir):
    """vLLM keeps parallel state per process, and an engine's teardown destroys it under any other live
    engine. So jobs run in-process by tests borrow the session's tiny engine; jobs started as subprocesses
    (the CLI tests) build their own through the real factory."""
    import harness.engines.factory as factory

    original = factory.make_engine

    def make_engine(model, **kw):
        if model.engine == "vllm" and model.path and Path(model.path) == tiny_model_dir and not model.batch_invariant:
            os.environ.update(model.env)
            return _Borrowed(request.getfixturevalue("tiny_vllm"))
        return original(model, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(factory, "make_engine", make_engine)
        yield
