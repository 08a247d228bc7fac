"""Frozen specs built from a composed config, validated by harness.config.schema. Every error names the
config file and key.

Checks here need no model and no dataset: schema, ranges, keys. Task and metric names are checked when the
benchmarks load (harness.benchmarks.factory), still before the model loads.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from pydantic import ValidationError

from harness.config.schema import BenchmarkCfg, GenerationCfg, ModelCfg, RunCfg, RunSettingsCfg
from harness.errors import ConfigError
from harness.paths import CONFIG_DIR, REPO_ROOT

GENERATION_KEYS = ("temperature", "top_p", "top_k", "max_tokens", "chat_template", "thinking", "system_prompt", "stop")


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
    stop: tuple[str, ...] | None = None  # replaces the task's stop strings (lm-eval's `until`); () for none

    def over(self, base: Generation) -> Generation:
        """These settings, falling back to `base` where unset."""
        return Generation(**{k: getattr(self, k) if getattr(self, k) is not None else getattr(base, k) for k in GENERATION_KEYS})


@dataclass(frozen=True)
class DatasetRef:
    id: str
    revision: str | None = None
    licence: str | None = None


@dataclass(frozen=True)
class JudgeSettings:
    prompt_file: str  # relative to the repository, versioned (e.g. tasks/judges/hle_v1.txt)
    parser: str  # a key of harness.judge.parse.PARSERS (checked when the benchmark loads)
    fields: dict[str, str]  # prompt placeholder → document field ({response} is the model's answer)
    max_tokens: int = 2048
    temperature: float = 0.0


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
    judge: JudgeSettings | None = None  # judge-scored benchmarks
    agent: dict[str, Any] | None = None  # agent benchmarks (kind: agent): python, domain, task_ids, max_steps
    kind: str = "lm_eval"  # lm_eval | nia | agent: which loader builds it (harness.benchmarks.factory)
    sections: tuple[str, ...] = ()  # the official sections it counts for (nia, global_common, individual)
    answer: str = "after_thinking"  # what the scorer receives of an output: after_thinking | whole_output


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
    allow_unpinned: bool = False  # hub data at a benchmark without a pinned revision: refused unless true


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
    scoring_workers: int  # worker processes of the scoring stage (0: score in this process)
    out_dir: Path
    judge_model: ModelSpec | None  # None: judges use the engine of the model under test
    run_id: str
    config: dict[str, Any] = field(repr=False)  # the resolved config, as recorded in the pack
    user_model: ModelSpec | None = None  # agent benchmarks' simulated user; None: the model under test's engine
    shard: tuple[int, int] | None = None  # (K, N): this job runs the K-th of N slices into a part (out_dir)
    pack_dir: Path | None = None  # a shard's whole pack, where the merge of its N parts goes


def _cfg_file(group: str, choices: dict[str, str]) -> str:
    choice = choices.get(group)
    return str(CONFIG_DIR / group / f"{choice}.yaml") if choice else "command line"


def _require(cond: bool, message: str, file: str, fld: str) -> None:
    if not cond:
        raise ConfigError(message, file=file, field=fld)


def _benchmark_file(name: str, choices: dict[str, str]) -> str:
    """Where suite.benchmarks.<name> came from: its benchmark config, else the suite's file."""
    choice = choices.get(f"benchmark@suite.benchmarks.{name}", name)
    path = CONFIG_DIR / "benchmark" / f"{choice}.yaml"
    return str(path) if path.exists() else _cfg_file("suite", choices)


def _schema_error(err: ValidationError, choices: dict[str, str], top: str | None = None) -> ConfigError:
    """The first problem pydantic found, as a ConfigError naming the group's file and the dotted key."""
    first = err.errors()[0]
    loc = [str(x) for x in first["loc"]]
    if top:
        loc = [top, *loc]
    key = ".".join(loc)
    group = loc[0] if loc else "run"
    if loc[:2] == ["suite", "benchmarks"] and len(loc) > 2:
        file = _benchmark_file(loc[2], choices)
    elif group in ("out", "run_id", "results_dir"):
        file = str(CONFIG_DIR / "run.yaml")
    else:
        file = _cfg_file(group, choices)
    if first["type"] == "extra_forbidden":
        message = f"unknown key {loc[-1]!r} (misspelt, or not a setting of this group)"
    elif first["type"] == "missing":
        message = f"{loc[-1]!r} is required"
    else:
        message = first["msg"].removeprefix("Value error, ") if first["type"] == "value_error" else f"{first['msg']} (got {first.get('input')!r})"
    return ConfigError(message, file=file, field=key)


def _generation(g: GenerationCfg) -> Generation:
    values = g.model_dump()
    if values.get("stop") is not None:
        values["stop"] = tuple(values["stop"])
    return Generation(**values)


def _benchmark(name: str, b: BenchmarkCfg, run: RunSettingsCfg, choices: dict[str, str]) -> BenchmarkSpec:
    # run defaults < the benchmark's reference settings < run.per_benchmark < run.generation_override
    gen = _generation(run.generation_override).over(
        _generation(run.per_benchmark.get(name, GenerationCfg())).over(_generation(b.generation).over(_generation(run.generation))))
    j = b.judge
    return BenchmarkSpec(
        name=name, task=b.task, metric=b.metric, area=b.area,
        datasets=tuple(DatasetRef(**d.model_dump()) for d in b.datasets),
        num_fewshot=b.num_fewshot, generation=gen, config_file=_benchmark_file(name, choices),
        target_score=b.target_score, path=b.path, mode=b.mode,
        date_window=b.date_window.model_dump(exclude_none=True) if b.date_window else None,
        judge=None if j is None else JudgeSettings(prompt_file=j.prompt, parser=j.parser, fields=dict(j.fields),
                                                   max_tokens=j.max_tokens, temperature=j.temperature),
        agent=b.agent.model_dump() if b.agent else None, kind=b.kind, sections=tuple(b.sections), answer=b.answer,
    )


def _model(m: ModelCfg, file: str) -> ModelSpec:
    name = m.name or (Path(m.path).name if m.path else (m.engine_args.get("model") or m.engine))
    return ModelSpec(engine=m.engine, name=str(name), path=m.path, tokenizer=m.tokenizer, build=m.build,
                     trust_remote_code=m.trust_remote_code, batch_invariant=m.batch_invariant,
                     env={str(k): str(v) for k, v in m.env.items()},
                     engine_args={k: v for k, v in m.engine_args.items() if v is not None}, config_file=file)


def config_hash(resolved: dict[str, Any]) -> str:
    """Hash of what determines the results (not where they go)."""
    material = {k: v for k, v in resolved.items() if k not in ("out", "run_id", "results_dir", "hydra")}
    if isinstance(material.get("run"), dict):  # every shard of a job names the same pack (run.shard is where, not what)
        material["run"] = {k: v for k, v in material["run"].items() if k != "shard"}
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def build_run_spec(cfg: DictConfig, choices: dict[str, str] | None = None) -> RunSpec:
    """Validate the composed `run` config against its schema and build the RunSpec. No model, no dataset
    is touched; an unknown or misspelt key anywhere is an error naming its file and key."""
    choices = dict(choices or {})
    if "hydra" in cfg:
        cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
    try:
        resolved = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    except Exception as err:  # omegaconf's MissingMandatoryValue / InterpolationResolutionError
        key = getattr(err, "full_key", None)
        group = str(key).split(".")[0] if key else "run"
        raise ConfigError(str(err).splitlines()[0], file=_cfg_file(group, choices), field=str(key)) from None
    try:
        c = RunCfg.model_validate(resolved)
    except ValidationError as err:
        raise _schema_error(err, choices) from None
    run, suite = c.run, c.suite
    run_file, suite_file = _cfg_file("run", choices), _cfg_file("suite", choices)

    benchmarks_raw = dict(suite.benchmarks)
    _require(bool(benchmarks_raw), "the suite names no benchmarks", suite_file, "suite.benchmarks")
    unknown = sorted(set(run.per_benchmark) - set(benchmarks_raw))
    _require(not unknown, f"per_benchmark names benchmark(s) {unknown} not in suite {suite.name!r}", run_file, "run.per_benchmark")
    if suite.only:
        missing = sorted(set(suite.only) - set(benchmarks_raw))
        _require(not missing, f"unknown benchmark(s) {missing}; the suite has {sorted(benchmarks_raw)}", suite_file, "suite.only")
        benchmarks_raw = {k: v for k, v in benchmarks_raw.items() if k in suite.only}
    benchmarks = tuple(_benchmark(n, b, run, choices) for n, b in benchmarks_raw.items())

    model = _model(c.model, _cfg_file("model", choices))
    judge_model = _model(c.judge.model, _cfg_file("judge", choices)) if c.judge.model else None
    user_model = _model(c.user_sim.model, _cfg_file("user_sim", choices)) if c.user_sim.model else None
    for other, group in ((judge_model, "judge"), (user_model, "user_sim")):
        if other and other.engine == "vllm" and model.engine == "vllm" and other.path != model.path:
            raise ConfigError("two in-process vLLM engines cannot share one process: serve it (`vllm serve`) and use "
                              f"{group}=openai, or use the model under test ({group}=same)", file=_cfg_file(group, choices), field=f"{group}.model")
    root = c.data.root
    source = c.data.source or ("mirror" if root else None) or suite.data_source or "hub"
    data_file = _cfg_file("data", choices)
    _require(source != "mirror" or bool(root), "data.source=mirror needs data.root", data_file, "data.root")
    if root:
        _require(Path(root).is_dir(), f"data root {root} is not a directory", data_file, "data.root")

    digest = config_hash(resolved)
    run_id = c.run_id or f"{suite.name}-{model.name}-{digest[:8]}"
    out = Path(c.out or Path(c.results_dir) / run_id)
    if not out.is_absolute():
        out = Path.cwd() / out
    shard, pack_dir = None, None
    if run.shard:
        from harness.runner.shards import parse_shard, part_dir

        shard, pack_dir = parse_shard(run.shard), out
        out = part_dir(pack_dir, *shard)
    return RunSpec(
        suite=suite.name, benchmarks=benchmarks, model=model, data=DataSpec(source=source, root=Path(root) if root else None, allow_unpinned=bool(c.data.allow_unpinned)),
        repeats=run.repeats, seed=run.seed, logprobs=run.logprobs, max_samples=run.max_samples, max_in_flight=run.max_in_flight,
        scoring_workers=_scoring_workers(run.scoring_workers), out_dir=out, judge_model=judge_model, run_id=run_id, config=resolved,
        user_model=user_model, shard=shard, pack_dir=pack_dir,
    )


def _scoring_workers(value: int | None) -> int:
    if value is None:  # leave the engine a core; sandboxed tests wait more than they compute
        return max(1, min(4, (os.cpu_count() or 2) - 1))
    return value


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
