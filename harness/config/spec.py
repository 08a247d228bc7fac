"""Typed, validated specs built from a composed config. Every error names the config file and field.

Checks here need no model and no dataset: schema, ranges, the model path. Task and metric names are checked
against lm-eval by the task bridge, still before the model loads.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from harness.errors import ConfigError
from harness.paths import CONFIG_DIR, REPO_ROOT

GENERATION_KEYS = ("temperature", "top_p", "top_k", "max_tokens", "chat_template", "thinking", "system_prompt")
ENGINES = ("vllm", "hf", "openai")


@dataclass(frozen=True)
class Generation:
    """Generation settings; None means "not set here" and falls through to the next layer."""

    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    chat_template: bool | None = None
    thinking: bool | None = None
    system_prompt: str | None = None

    def over(self, base: Generation) -> Generation:
        """These settings, falling back to `base` where unset."""
        return Generation(**{k: getattr(self, k) if getattr(self, k) is not None else getattr(base, k) for k in GENERATION_KEYS})


@dataclass(frozen=True)
class DatasetRef:
    id: str
    revision: str | None = None
    licence: str | None = None


@dataclass(frozen=True)
class BenchmarkSpec:
    name: str
    task: str  # lm-eval task or group name (ours live in tasks/)
    metric: str  # "metric" or "metric,filter"
    area: str | None
    datasets: tuple[DatasetRef, ...]
    num_fewshot: int | None
    generation: Generation  # fully layered: run defaults < benchmark < run.per_benchmark
    config_file: str  # where the benchmark was defined, for error messages
    target_score: float | None = None  # individual suite: the target model's published score A (0–100)
    path: str | None = None  # a local NIA-format JSONL file (task: nia_jsonl)
    mode: str | None = None  # NIA format: generate (default) | multiple_choice
    date_window: dict[str, str] | None = None  # {field, start, end}: keep documents with start <= field < end
    judge: Any = None  # harness.judge.stage.JudgeSettings for judge-scored benchmarks
    agent: dict[str, Any] | None = None  # agent benchmarks (task: tau2): python, domain, task_ids, max_steps


@dataclass(frozen=True)
class ModelSpec:
    engine: str
    name: str
    path: str | None
    tokenizer: str | None
    build: str | None
    trust_remote_code: bool
    batch_invariant: bool
    env: dict[str, str]
    engine_args: dict[str, Any]
    config_file: str


@dataclass(frozen=True)
class DataSpec:
    source: str  # hub | mirror | sample
    root: Path | None


@dataclass(frozen=True)
class RunSpec:
    suite: str
    benchmarks: tuple[BenchmarkSpec, ...]
    model: ModelSpec
    data: DataSpec
    repeats: int
    seed: int
    logprobs: int
    max_samples: int | None
    max_in_flight: int
    out_dir: Path
    judge_model: ModelSpec | None  # None: judges use the engine of the model under test
    run_id: str
    config: dict[str, Any] = field(repr=False)  # the resolved config, as recorded in the pack


def _cfg_file(group: str, choices: dict[str, str]) -> str:
    choice = choices.get(group)
    return str(CONFIG_DIR / group / f"{choice}.yaml") if choice else "command line"


def _require(cond: bool, message: str, file: str, fld: str) -> None:
    if not cond:
        raise ConfigError(message, file=file, field=fld)


def _generation(raw: Any, file: str, fld: str) -> Generation:
    raw = dict(raw or {})
    unknown = sorted(set(raw) - set(GENERATION_KEYS))
    _require(not unknown, f"unknown generation setting(s) {unknown}; known: {list(GENERATION_KEYS)}", file, f"{fld}.{unknown[0] if unknown else ''}")
    gen = Generation(**raw)
    if gen.temperature is not None:
        _require(gen.temperature >= 0, f"temperature must be ≥ 0, got {gen.temperature}", file, f"{fld}.temperature")
    if gen.top_p is not None:
        _require(0 < gen.top_p <= 1, f"top_p must be in (0, 1], got {gen.top_p}", file, f"{fld}.top_p")
    if gen.max_tokens is not None:
        _require(gen.max_tokens >= 1, f"max_tokens must be ≥ 1, got {gen.max_tokens}", file, f"{fld}.max_tokens")
    return gen


def _benchmark(name: str, raw: dict, run_gen: Generation, per_bench: dict, override: Generation, choices: dict[str, str]) -> BenchmarkSpec:
    file = str(CONFIG_DIR / "benchmark" / f"{name}.yaml")
    if not Path(file).exists():
        file = _cfg_file("suite", choices)
    fld = f"suite.benchmarks.{name}"
    for key in ("task", "metric"):
        _require(isinstance(raw.get(key), str) and raw[key], f"benchmark {name!r} needs a {key}", file, f"{fld}.{key}")
    datasets = tuple(DatasetRef(**d) for d in (raw.get("datasets") or []))
    # run defaults < the benchmark's reference settings < run.per_benchmark < run.generation_override
    gen = override.over(
        _generation(per_bench.get(name), _cfg_file("run", choices), f"run.per_benchmark.{name}").over(
            _generation(raw.get("generation"), file, f"{fld}.generation").over(run_gen)
        )
    )
    if raw["task"] == "nia_jsonl":
        _require(bool(raw.get("path")), "an NIA-format benchmark needs the path of its JSONL file", file, f"{fld}.path")
        _require(raw.get("mode") in (None, "generate", "multiple_choice"), f"mode must be generate or multiple_choice, got {raw.get('mode')!r}", file, f"{fld}.mode")
    target = raw.get("target_score")
    if target is not None:
        _require(float(target) > 0, f"target_score must be > 0, got {target}", file, f"{fld}.target_score")
    return BenchmarkSpec(
        name=name,
        task=raw["task"],
        metric=raw["metric"],
        area=raw.get("area"),
        datasets=datasets,
        num_fewshot=raw.get("num_fewshot"),
        generation=gen,
        config_file=file,
        target_score=float(target) if target is not None else None,
        path=str(raw["path"]) if raw.get("path") else None,
        mode=raw.get("mode"),
        date_window=_date_window(raw.get("date_window"), file, f"{fld}.date_window"),
        judge=_judge_settings(raw.get("judge"), file, f"{fld}.judge"),
        agent=dict(raw["agent"]) if raw.get("agent") else None,
    )


def _judge_settings(raw: Any, file: str, fld: str):
    if not raw:
        return None
    from harness.judge.parse import PARSERS
    from harness.judge.stage import JudgeSettings

    raw = dict(raw)
    for key in ("prompt", "parser", "fields"):
        _require(bool(raw.get(key)), f"a judged benchmark needs judge.{key}", file, f"{fld}.{key}")
    _require(raw["parser"] in PARSERS, f"unknown judge parser {raw['parser']!r}; known: {sorted(PARSERS)}", file, f"{fld}.parser")
    _require((REPO_ROOT / raw["prompt"]).is_file() or Path(raw["prompt"]).is_file(), f"judge prompt {raw['prompt']} not found", file, f"{fld}.prompt")
    return JudgeSettings(prompt_file=raw["prompt"], parser=raw["parser"], fields=dict(raw["fields"]),
                         max_tokens=int(raw.get("max_tokens", 2048)), temperature=float(raw.get("temperature", 0.0)))


def _date_window(raw: Any, file: str, fld: str) -> dict[str, str] | None:
    if not raw:
        return None
    raw = dict(raw)
    _require(set(raw) <= {"field", "start", "end"} and raw.get("field"), "date_window takes field, start, end", file, fld)
    for key in ("start", "end"):
        if raw.get(key) is not None:
            import datetime as dt

            try:
                dt.date.fromisoformat(str(raw[key])[:10])
            except ValueError:
                raise ConfigError(f"{key} {raw[key]!r} is not an ISO date", file=file, field=f"{fld}.{key}") from None
    return {k: str(v) for k, v in raw.items() if v is not None}


def _model(raw: dict, choices: dict[str, str], group: str = "model") -> ModelSpec:
    file = _cfg_file(group, choices)
    engine = raw.get("engine")
    _require(engine in ENGINES, f"unknown engine {engine!r}; choose one of {list(ENGINES)}", file, f"{group}.engine")
    path = raw.get("path")
    name = raw.get("name") or (Path(path).name if path else raw.get("engine_args", {}).get("model", engine))
    return ModelSpec(
        engine=engine,
        name=str(name),
        path=str(path) if path else None,
        tokenizer=raw.get("tokenizer"),
        build=raw.get("build"),
        trust_remote_code=bool(raw.get("trust_remote_code", False)),
        batch_invariant=bool(raw.get("batch_invariant", False)),
        env={str(k): str(v) for k, v in (raw.get("env") or {}).items()},
        engine_args={k: v for k, v in (raw.get("engine_args") or {}).items() if v is not None},
        config_file=file,
    )


def config_hash(resolved: dict[str, Any]) -> str:
    """Hash of what determines the results (not where they go)."""
    material = {k: v for k, v in resolved.items() if k not in ("out", "run_id", "results_dir", "hydra")}
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def build_run_spec(cfg: DictConfig, choices: dict[str, str] | None = None) -> RunSpec:
    """Validate the composed `run` config and build the RunSpec. No model, no dataset is touched."""
    choices = dict(choices or {})
    if "hydra" in cfg:
        cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
    try:
        resolved = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    except Exception as err:  # omegaconf's MissingMandatoryValue / InterpolationResolutionError
        key = getattr(err, "full_key", None)
        group = str(key).split(".")[0] if key else "run"
        raise ConfigError(str(err).splitlines()[0], file=_cfg_file(group, choices), field=str(key)) from None
    run, suite = resolved["run"], resolved["suite"]
    run_file = _cfg_file("run", choices)

    repeats = run.get("repeats")
    _require(isinstance(repeats, int) and repeats >= 1, f"repeats must be an integer ≥ 1, got {repeats!r}", run_file, "run.repeats")
    _require(isinstance(run.get("seed"), int), f"seed must be an integer, got {run.get('seed')!r}", run_file, "run.seed")
    max_samples = run.get("max_samples")
    _require(max_samples is None or (isinstance(max_samples, int) and max_samples >= 1), f"max_samples must be null or ≥ 1, got {max_samples!r}", run_file, "run.max_samples")

    run_gen = _generation(run.get("generation"), run_file, "run.generation")
    override = _generation(run.get("generation_override"), run_file, "run.generation_override")
    per_bench = run.get("per_benchmark") or {}
    benchmarks_raw = suite.get("benchmarks") or {}
    suite_file = _cfg_file("suite", choices)
    _require(bool(benchmarks_raw), "the suite names no benchmarks", suite_file, "suite.benchmarks")
    unknown = sorted(set(per_bench) - set(benchmarks_raw))
    _require(not unknown, f"per_benchmark names benchmark(s) {unknown} not in suite {suite.get('name')!r}", run_file, "run.per_benchmark")
    only = suite.get("only")
    if only:
        missing = sorted(set(only) - set(benchmarks_raw))
        _require(not missing, f"unknown benchmark(s) {missing}; the suite has {sorted(benchmarks_raw)}", suite_file, "suite.only")
        benchmarks_raw = {k: v for k, v in benchmarks_raw.items() if k in only}
    benchmarks = tuple(_benchmark(n, dict(b), run_gen, per_bench, override, choices) for n, b in benchmarks_raw.items())

    model = _model(resolved["model"], choices)
    judge_raw = (resolved.get("judge") or {}).get("model")
    judge_model = _model(judge_raw, choices, "judge") if judge_raw else None
    if judge_model and judge_model.engine == "vllm" and model.engine == "vllm" and judge_model.path != model.path:
        raise ConfigError("two in-process vLLM engines cannot share one process: serve the judge (`vllm serve`) and "
                          "use judge=openai, or judge with the model under test (judge=same)", file=_cfg_file("judge", choices), field="judge.model")
    data_raw = resolved.get("data") or {}
    root = data_raw.get("root")
    source = data_raw.get("source") or ("mirror" if root else None) or suite.get("data_source") or "hub"
    data_file = _cfg_file("data", choices)
    _require(source in ("hub", "mirror", "sample"), f"unknown data source {source!r}", data_file, "data.source")
    _require(source != "mirror" or bool(root), "data.source=mirror needs data.root", data_file, "data.root")
    if root:
        _require(Path(root).is_dir(), f"data root {root} is not a directory", data_file, "data.root")

    digest = config_hash(resolved)
    run_id = resolved.get("run_id") or f"{suite.get('name', 'suite')}-{model.name}-{digest[:8]}"
    out = Path(resolved.get("out") or Path(resolved.get("results_dir") or "results") / run_id)
    if not out.is_absolute():
        out = Path.cwd() / out
    return RunSpec(
        suite=str(suite.get("name")),
        benchmarks=benchmarks,
        model=model,
        data=DataSpec(source=source, root=Path(root) if root else None),
        repeats=repeats,
        seed=run["seed"],
        logprobs=int(run.get("logprobs", 2)),
        max_samples=max_samples,
        max_in_flight=int(run.get("max_in_flight", 4096)),
        out_dir=out,
        judge_model=judge_model,
        run_id=run_id,
        config=resolved,
    )


def with_model_path(spec: RunSpec, path: str) -> RunSpec:
    return replace(spec, model=replace(spec.model, path=path))


__all__ = [
    "BenchmarkSpec",
    "DataSpec",
    "Generation",
    "ModelSpec",
    "RunSpec",
    "build_run_spec",
    "config_hash",
    "REPO_ROOT",
]
