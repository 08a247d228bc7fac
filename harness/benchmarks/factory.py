"""The one place that decides what kind a benchmark is: its config's `kind` picks the loader; a judged
benchmark gets a judge scorer around its own. Everything downstream sees only harness.benchmarks.base."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.benchmarks.base import Benchmark
from harness.benchmarks.data import DatasetResolver
from harness.config.spec import BenchmarkSpec
from harness.errors import ConfigError


def _lm_eval(spec: BenchmarkSpec, resolver: DatasetResolver, data_source: str) -> Benchmark:
    from harness.benchmarks.lmeval import LmEvalBenchmark, load_tasks

    if spec.judge is None:
        return LmEvalBenchmark(spec, load_tasks(spec, resolver))
    from harness.benchmarks.lmeval import _metric_names
    from harness.judge.scorer import VERDICT_METRICS

    return LmEvalBenchmark(spec, load_tasks(spec, resolver), metric_names=lambda t: [*_metric_names(t), *VERDICT_METRICS])


def _nia(spec: BenchmarkSpec, resolver: DatasetResolver, data_source: str) -> Benchmark:
    from harness.benchmarks.nia import load

    if not spec.path:
        raise ConfigError("an NIA-format benchmark (kind: nia) needs the path of its JSONL file (path: …)",
                          file=spec.config_file, field=f"suite.benchmarks.{spec.name}.path")
    return load(spec, resolver)


def _agent(spec: BenchmarkSpec, resolver: DatasetResolver, data_source: str) -> Benchmark:
    from harness.benchmarks.agent import AgentBenchmark

    if not spec.agent:
        raise ConfigError("an agent benchmark (kind: agent) needs its agent: settings", file=spec.config_file,
                          field=f"suite.benchmarks.{spec.name}.agent")
    return AgentBenchmark(spec, data_source)


KINDS: dict[str, Callable[[BenchmarkSpec, DatasetResolver, str], Benchmark]] = {"lm_eval": _lm_eval, "nia": _nia, "agent": _agent}
_HUB_DATA = {"lm_eval"}  # kinds whose data comes from a dataset hub (NIA files are local; τ² ships its tasks)


def reads_hub_data(spec: BenchmarkSpec) -> bool:
    """Whether the benchmark's data is fetched from a hub (and so mirrored for air-gapped sites)."""
    return spec.kind in _HUB_DATA


def load_benchmark(spec: BenchmarkSpec, resolver: DatasetResolver, *, judge_model: str | None = None) -> Benchmark:
    """Load one benchmark (tasks, data, checks) before any model loads. `judge_model` names the model that
    judges judged benchmarks (recorded with each verdict)."""
    if spec.kind not in KINDS:
        raise ConfigError(f"unknown benchmark kind {spec.kind!r}; known: {sorted(KINDS)}", file=spec.config_file,
                          field=f"suite.benchmarks.{spec.name}.kind")
    bench = KINDS[spec.kind](spec, resolver, resolver.data.source)
    if spec.judge is not None:
        from harness.judge.scorer import JudgeScorer

        bench.scorer = JudgeScorer(bench.scorer, spec.judge, spec.name, judge_model or "model-under-test")
    return bench


def load_benchmarks(specs: Any, resolver: DatasetResolver, *, judge_model: str | None = None) -> dict[str, Benchmark]:
    return {b.name: load_benchmark(b, resolver, judge_model=judge_model) for b in specs}


def build_samples(benchmarks: dict[str, Benchmark], renderer: Any, limit: int | None) -> dict[str, list[Any]]:
    """Every benchmark's samples, prompts rendered with the model's chat template where its generation
    settings ask for one (`renderer`: harness.engines.chat.TokenizerChat) — the same in run and verify."""
    out = {}
    for name, bench in benchmarks.items():
        gen = bench.spec.generation
        chat = None
        if gen.chat_template and renderer is not None:
            def chat(messages, add_generation_prompt=True, _t=gen.thinking):
                return renderer.apply_chat_template(messages, enable_thinking=_t)
        out[name] = bench.samples(chat=chat, system_prompt=gen.system_prompt, limit=limit)
    return out


def capabilities(meta: dict[str, Any]) -> dict[str, Any]:
    """What a pack's spec.json says a benchmark can do, for readers that do not load it (the verifier's
    integrity pass): `rerunnable`, `settings_per_call`. Version-1 packs did not record them: their only
    interactive benchmark was τ² (task "tau2")."""
    if "rerunnable" in meta:
        return {"rerunnable": bool(meta["rerunnable"]), "settings_per_call": bool(meta.get("settings_per_call"))}
    legacy_agent = meta.get("task") == "tau2"
    return {"rerunnable": not legacy_agent, "settings_per_call": legacy_agent}
