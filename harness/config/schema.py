"""Typed schemas of every config group. Unknown keys are refused (`extra="forbid"`): a misspelt setting is an
error naming its file and key before anything loads, never silently ignored.

The schemas check shape and ranges; harness.config.spec layers the generation settings and builds the
frozen specs the job runs from.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GenerationCfg(_Strict):
    """None means "not set here": the next layer's value applies (run < benchmark < per_benchmark < override)."""

    temperature: float | None = Field(None, ge=0)
    top_p: float | None = Field(None, gt=0, le=1)
    top_k: int | None = None
    max_tokens: int | None = Field(None, ge=1)
    chat_template: bool | None = None
    thinking: bool | None = None
    system_prompt: str | None = None
    # Stop strings replacing the task's own (lm-eval's `until`); [] generates to the token budget or EOS.
    # lm-eval's mmlu_pro stops at "Question:", which cuts a long thinking trace that writes one.
    stop: list[str] | None = None


class DatasetCfg(_Strict):
    id: str
    revision: str | None = None
    licence: str | None = None


class DateWindowCfg(_Strict):
    field: str
    start: str | None = None
    end: str | None = None

    @field_validator("start", "end")
    @classmethod
    def _iso(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                dt.date.fromisoformat(str(v)[:10])
            except ValueError:
                raise ValueError(f"{v!r} is not an ISO date") from None
        return None if v is None else str(v)


class JudgeCfg(_Strict):
    prompt: str
    parser: str
    fields: dict[str, str]
    max_tokens: int = Field(2048, ge=1)
    temperature: float = Field(0.0, ge=0)


class AgentCfg(_Strict):
    python: str
    domain: str = "airline"
    task_ids: list[str] | None = None
    sample_task_ids: list[str] | None = None
    sample_max_steps: int | None = Field(None, ge=1)
    max_steps: int = Field(100, ge=1)
    max_errors: int = Field(10, ge=0)
    episode_timeout_s: float = Field(3600, gt=0)


SECTIONS = ("nia", "global_common", "individual")


class BenchmarkCfg(_Strict):
    """One benchmark: the single source of its dataset, prompt (task), token budget, scorer and section."""

    kind: Literal["lm_eval", "nia", "agent"] = "lm_eval"
    task: str
    metric: str
    area: str | None = None
    sections: list[Literal["nia", "global_common", "individual"]] = Field(default_factory=list)
    datasets: list[DatasetCfg] = Field(default_factory=list)
    num_fewshot: int | None = Field(None, ge=0)
    generation: GenerationCfg = Field(default_factory=GenerationCfg)
    path: str | None = None  # kind nia: the JSONL file
    mode: Literal["generate", "multiple_choice"] | None = None  # kind nia
    date_window: DateWindowCfg | None = None
    judge: JudgeCfg | None = None
    agent: AgentCfg | None = None
    target_score: float | None = Field(None, gt=0, le=100)  # individual suite: the target model's score A
    # What the task's scorer receives of each output: the text after the last </think> ("after_thinking", the
    # documented rule; an unclosed <think> gives "") or the output as generated ("whole_output"). Nothing
    # else is changed either way; the task's own code then reads the answer (docs/benchmarks-catalogue.md).
    answer: Literal["after_thinking", "whole_output"] = "after_thinking"


class SuiteCfg(_Strict):
    name: str
    data_source: Literal["hub", "mirror", "sample"] | None = None
    sections: list[Literal["nia", "global_common", "individual"]] = Field(default_factory=list)
    benchmarks: dict[str, BenchmarkCfg] = Field(default_factory=dict)
    only: list[str] | None = None
    target_model: str | None = None  # individual suites: the named target model and where its scores come from
    target_source: str | None = None


class ModelCfg(_Strict):
    engine: Literal["vllm", "hf", "openai"]
    name: str | None = None
    path: str | None = None
    tokenizer: str | None = None
    build: str | None = None
    trust_remote_code: bool = False
    batch_invariant: bool = False
    env: dict[str, str] = Field(default_factory=dict)
    engine_args: dict[str, Any] = Field(default_factory=dict)

    @field_validator("batch_invariant")
    @classmethod
    def _invariant_needs_vllm(cls, v: bool, info: ValidationInfo) -> bool:
        engine = info.data.get("engine")
        if v and engine != "vllm":
            raise ValueError(f"batch_invariant is a vLLM mode (VLLM_BATCH_INVARIANT); the {engine} engine cannot honour it")
        return v


class RunSettingsCfg(_Strict):
    repeats: int = Field(5, ge=1)
    seed: int = 1234
    logprobs: int = Field(2, ge=0, le=4)  # alternatives recorded per token (the token store keeps up to 4)
    max_samples: int | None = Field(None, ge=1)
    generation: GenerationCfg = Field(default_factory=GenerationCfg)
    per_benchmark: dict[str, GenerationCfg] = Field(default_factory=dict)
    generation_override: GenerationCfg = Field(default_factory=GenerationCfg)
    max_in_flight: int = Field(4096, ge=1)
    scoring_workers: int | None = Field(None, ge=0)
    # "K/N": run the K-th of N deterministic slices of the suite's work into a part of the pack
    # (harness.runner.shards); `harness merge` joins the N parts. null: the whole suite, one pack.
    shard: str | None = None

    @field_validator("shard", mode="before")
    @classmethod
    def _shard(cls, v: Any) -> str | None:
        if v is None:
            return None
        from harness.runner.shards import parse_shard

        k, n = parse_shard(str(v))
        return f"{k}/{n}"


class DataCfg(_Strict):
    source: Literal["hub", "mirror", "sample"] | None = None
    root: str | None = None
    allow_unpinned: bool = False


class JudgeGroupCfg(_Strict):
    model: ModelCfg | None = None


class RunCfg(_Strict):
    """The whole `harness run` config (configs/run.yaml and its groups)."""

    suite: SuiteCfg
    model: ModelCfg
    run: RunSettingsCfg
    data: DataCfg = Field(default_factory=DataCfg)
    judge: JudgeGroupCfg = Field(default_factory=JudgeGroupCfg)
    user_sim: JudgeGroupCfg = Field(default_factory=JudgeGroupCfg)  # τ²'s simulated user: {model: … | null}
    out: str | None = None
    run_id: str | None = None
    results_dir: str = "results"


class PolicyCfg(_Strict):
    fail_on_integrity: bool = True
    fail_on_prompt_mismatch: bool = True
    max_unexplained: int = Field(0, ge=0)
    max_score_difference: float = Field(5.0, ge=0)
    fail_on_rescore: bool = True


class VerifySettingsCfg(_Strict):
    seed: int
    fraction: float = Field(0.05, gt=0, le=1)
    samples: int | None = Field(None, ge=1)
    epsilon: float | None = Field(None, ge=0)  # null: from the setup difference (harness.verify.tolerance)
    ll_tolerance: float | None = Field(None, ge=0)
    batch_invariant: bool = False
    diagnose: bool = True
    rescore: bool = True  # re-score every record from its recorded output before any engine (no model needed)
    receipt: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")  # the manifest sha256 the team handed over on submission
    received_at: str | None = None  # when that receipt was received (ISO 8601): the seed must be drawn after it
    protocol: str | None = None  # configs/protocol/<name>.yaml: a pack that departs from it fails, each deviation named
    key: str | None = None  # the verifier's Ed25519 private key (`harness keys new`): signs the verdict
    unsigned: bool = False  # true: no key, a verdict `harness score` does not accept (trials, debugging)
    policy: PolicyCfg = Field(default_factory=PolicyCfg)


class VerifyModelCfg(_Strict):
    path: str | None = None
    engine_args: dict[str, Any] = Field(default_factory=dict)


class VerifyCfg(_Strict):
    verify: VerifySettingsCfg
    model: VerifyModelCfg = Field(default_factory=VerifyModelCfg)


class SectionPoints(_Strict):
    points: float = Field(gt=0)


class NiaPoints(SectionPoints):
    suite: str = "nia"
    area_weights: dict[str, float] | None = None


class CommonPoints(SectionPoints):
    benchmarks: list[str] | None = None  # null: every benchmark config whose sections include global_common


class IndividualPoints(SectionPoints):
    n_benchmarks: int = Field(ge=1)
    cap: float = Field(gt=0)


class ExpertPoints(SectionPoints):
    criteria: dict[str, float]
    trim: Literal["total", "per_criterion"] = "total"
    min_evaluators: int = Field(3, ge=1)


class UserPoints(SectionPoints):
    min_rating: int = 1
    max_rating: int = 5
    top: Literal["eligible", "all"] = "eligible"  # whose sum the points scale to (docs/scoring.md: the annex's reading)


class IndependenceCfg(_Strict):
    ineligible_verdicts: list[str]
    components: list[str]


class ScoringCfg(_Strict):
    """`harness score`'s rules (configs/scoring/<phase>.yaml)."""

    name: str
    require_verified: bool = True
    accepted_keys: list[str] = Field(default_factory=list)  # verifiers' public keys (ed25519:… or .pub files)
    allow_partial: bool = False  # a missing expert or user sheet: an error, or a table marked PROVISIONAL
    protocol: str | None = None  # a pack's verdict must have checked it against configs/protocol/<name>.yaml
    allow_deviations: bool = False  # true: a verdict listing protocol deviations still counts (they stay in its signed verdict)
    out: str | None = None
    rounding: int = Field(1, ge=0)  # decimals of every published figure
    nia: NiaPoints
    global_common: CommonPoints
    individual: IndividualPoints
    expert: ExpertPoints
    user: UserPoints
    independence: IndependenceCfg


class ScoreCfg(_Strict):
    scoring: ScoringCfg


class _Margins(_Strict):
    unit_identity: float = Field(0.1, ge=0, le=1)
    alignment: float = Field(0.7, ge=0, le=1)
    cka: float = Field(0.98, ge=0, le=1)


class _SketchCfg(_Strict):
    seed: int
    k: int = Field(ge=1)
    gram_coords: int = Field(ge=1)
    pool: int = Field(ge=1)
    anchor_rows: int = Field(ge=1)
    n_units: int = Field(ge=1)
    max_joint_width: int = Field(ge=1)


class LineageSettingsCfg(_Strict):
    alpha: float = Field(gt=0, lt=1)
    inconclusive_alpha: float = Field(gt=0, lt=1)
    components: list[str]
    out: str | None = None
    revision: str | None = None
    n_perm: int = Field(ge=1)
    max_layer_pairs: int = Field(ge=1)
    band: int = Field(ge=0)
    max_expert_pairs: int = Field(ge=1)
    margins: _Margins = Field(default_factory=_Margins)
    activations: Literal["auto", "always", "never"] = "auto"
    probe_texts: str | None = None
    max_probe_tokens: int = Field(4096, ge=1)
    sketch: _SketchCfg


class LineageCfg(_Strict):
    lineage: LineageSettingsCfg


class HistoryLocationCfg(_Strict):
    location: str


class ReportCfg(_Strict):
    history: HistoryLocationCfg
    out: str | None = None
    scores: str | None = None
    trend: bool = False
    suite: str | None = None
    threshold: float = Field(default=1.0, ge=0)
    page_size: int = Field(default=50, ge=1, le=10_000)
    chunk_size: int = Field(default=200, ge=1, le=100_000)
