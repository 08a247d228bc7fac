"""Versioned schema of what a run records per sample (see docs/records.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RECORD_SCHEMA_VERSION = 3
# 1: token arrays inside the JSON; 2: + scorer and score_error; 3: token arrays in records/<b>.tokens.arrows
READABLE_RECORD_VERSIONS = (1, 2, 3)

RequestType = Literal["generate_until", "loglikelihood"]


class Response(BaseModel):
    """One engine answer to one lm-eval request (a multiple-choice sample has one per choice)."""

    model_config = ConfigDict(extra="forbid")

    request_type: RequestType
    prompt_sha256: str
    # loglikelihood: the continuation scored after the prompt; its log-probability and greediness.
    continuation: str | None = None
    loglikelihood: float | None = None
    is_greedy: bool | None = None
    # generate_until: the output text and why it stopped.
    text: str | None = None
    finish_reason: str | None = None
    seed: int | None = None
    # generate_until: the effective sampling settings the engine got (max_tokens, temperature, top_p, top_k,
    # stop), so a verifier re-issues exactly this request.
    settings: dict[str, Any] | None = None
    # Per token (output tokens, or the continuation's tokens): id, log-prob, and the top alternatives
    # (best first) with their log-probs, fp32 as the engine returned them.
    token_ids: list[int] = Field(default_factory=list)
    logprobs: list[float] = Field(default_factory=list)
    top_ids: list[list[int]] = Field(default_factory=list)
    top_logprobs: list[list[float]] = Field(default_factory=list)
    # v3 rows: how many tokens this response has in the tokens file (its arrays are stored there, not here)
    n_tokens: int | None = None


class JudgeRecord(BaseModel):
    """A judge's reading of the sample's response: its own request (prompt in the prompt store, seed,
    settings), its output with log-probs, and the verdict parsed from it."""

    model_config = ConfigDict(extra="forbid")

    model: str
    prompt_file: str
    response: Response
    verdict: dict[str, Any]


class SampleRecord(BaseModel):
    """Everything one (benchmark, sample, run) produced, appended to `records/<benchmark>.jsonl` when done."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = RECORD_SCHEMA_VERSION
    benchmark: str
    task: str  # the lm-eval (sub)task the sample belongs to
    sample_id: str  # "<task>/<doc_id>": unique within the benchmark
    doc_id: int
    run: int  # 0-based run index
    seed: int  # the request seed every sampled request of this sample-run used
    doc_sha256: str
    target: Any = None
    responses: list[Response]
    extracted: dict[str, Any] = Field(default_factory=dict)  # filter name → what the filter extracted
    # "metric,filter" → this sample-run's value: a number for mean-aggregated metrics, else what the task gave
    metrics: dict[str, Any] = Field(default_factory=dict)
    judge: JudgeRecord | None = None  # benchmarks scored by a judge model (HLE, AA-LCR)
    scorer: dict[str, str] | None = None  # {"name", "version"} of the scorer that produced metrics (v2)
    score_error: str | None = None  # scoring itself failed: the sample-run is unscored, metrics empty (v2)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.benchmark, self.sample_id, self.run)


class PromptRecord(BaseModel):
    """The prompt store is content-addressed: records name prompts by sha256, each text stored once."""

    model_config = ConfigDict(extra="forbid")

    sha256: str
    text: str
    n_tokens: int | None = None


def jsonable(obj: Any) -> Any:
    """Targets and extracted answers come from task code: keep JSON types, stringify the rest (as records
    are written, so what a verifier re-scores compares equal)."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    return str(obj)
