"""One model across GPUs and nodes: vLLM's tensor, pipeline and data parallelism and its Ray executor pass from
the config to `vllm.LLM` unchanged and are recorded in the manifest. No Ray, no GPU: vllm.LLM is replaced by a
recorder that stops the engine's start once it has the arguments."""

from __future__ import annotations

import json

import pytest

from harness.config.compose import compose
from harness.config.spec import build_run_spec

PARALLEL = {"tensor_parallel_size": 8, "pipeline_parallel_size": 2, "data_parallel_size": 1,
            "distributed_executor_backend": "ray"}


class _Started(Exception):
    pass


@pytest.fixture()
def llm_kwargs(monkeypatch):
    import vllm

    seen: dict = {}

    def recorder(**kwargs):
        seen.update(kwargs)
        raise _Started

    monkeypatch.setattr(vllm, "LLM", recorder)
    return seen


def _spec(tmp_path, *overrides):
    return build_run_spec(compose("run", ["model=vllm_2x8", f"model.path={tmp_path}", f"out={tmp_path / 'pack'}", *overrides]))


def test_the_2x8_config_reaches_vllm_unchanged(tmp_path, llm_kwargs):
    from harness.engines.vllm_engine import VLLMEngine

    spec = _spec(tmp_path)
    with pytest.raises(_Started):
        VLLMEngine(spec.model.path, engine_args=spec.model.engine_args)
    assert {k: llm_kwargs[k] for k in PARALLEL} == PARALLEL
    assert llm_kwargs["enable_expert_parallel"] is True and llm_kwargs["model"] == str(tmp_path)


def test_command_line_layouts_reach_vllm(tmp_path, llm_kwargs):
    """The verifier's smaller setup: the same model on 4 GPUs of one node, data parallel 2 on a serving node."""
    import harness.engines.factory as factory

    spec = _spec(tmp_path, "model.engine_args.tensor_parallel_size=4", "model.engine_args.pipeline_parallel_size=1",
                 "model.engine_args.data_parallel_size=2", "model.engine_args.distributed_executor_backend=mp")
    with pytest.raises(_Started):
        factory.make_engine(spec.model)
    assert {k: llm_kwargs[k] for k in PARALLEL} == {"tensor_parallel_size": 4, "pipeline_parallel_size": 1,
                                                    "data_parallel_size": 2, "distributed_executor_backend": "mp"}


def test_the_layout_is_in_the_manifest(tmp_path):
    from harness.runner.job import finish_pack

    spec = _spec(tmp_path)
    spec.out_dir.mkdir()
    finish_pack(spec, {}, {"engine": "vllm", "engine_args": spec.model.engine_args}, [])
    manifest = json.loads((spec.out_dir / "manifest.json").read_text())
    assert manifest["settings"]["parallelism"] == {**PARALLEL, "gpus": 16}
    assert {k: manifest["engine"]["engine_args"][k] for k in PARALLEL} == PARALLEL


def test_a_single_gpu_run_records_the_defaults(tmp_path):
    from harness.engines.parallel import parallelism

    spec = build_run_spec(compose("run", ["model=tiny"]))
    assert parallelism(spec.model) == {"tensor_parallel_size": 1, "pipeline_parallel_size": 1, "data_parallel_size": 1,
                                       "distributed_executor_backend": "uni", "gpus": 1}
