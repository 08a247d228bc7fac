"""What a benchmark is to the harness, whatever runs it underneath (an lm-eval task, an NIA file, agent episodes).

A benchmark is its samples (prompts and targets), a solver that turns a sample-run into engine responses,
and a scorer that turns a sample's responses into metrics. The runner, the scoring stage and the verifier
see only these protocols; which kind a benchmark is gets decided once, in `harness.benchmarks.factory`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

RequestType = Literal["generate_until", "loglikelihood"]


@dataclass(frozen=True)
class Request:
    """One request a sample needs (a multiple-choice sample has one per choice).

    `gen_kwargs` are the task's own generation settings (lm-eval's `until`, `max_gen_toks`, …); the harness's
    settings override them when the request is issued. `repeats` answers are drawn for it (lm-eval's repeats)."""

    kind: RequestType
    prompt: str
    continuation: str | None = None
    gen_kwargs: dict[str, Any] = field(default_factory=dict)
    repeats: int = 1


@dataclass
class Sample:
    """One document of one (sub)task: the requests it needs and its target. `payload` is the kind's own
    state (lm-eval's instances); only the benchmark that made the sample reads it."""

    task: str
    doc_id: int
    doc: dict
    target: Any
    requests: list[Request]
    payload: Any = None
    key: str | None = None  # the item's own id where the source has one (τ² task ids), else doc_id

    @property
    def sample_id(self) -> str:
        return f"{self.task}/{self.doc_id if self.key is None else self.key}"

    @property
    def n_answers(self) -> int:
        return sum(max(r.repeats, 1) for r in self.requests)


@dataclass
class Score:
    """A scorer's reading of one sample-run: what it extracted, the metric values ("metric,filter" → value),
    and `error` when scoring itself failed (the sample-run is then unscored, never silently wrong)."""

    extracted: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    judge: Any = None  # harness.records.schema.JudgeRecord for model-graded scorers
    prompts: dict[str, str] = field(default_factory=dict)  # sha256 → text of prompts the scorer itself issued


@dataclass
class Generated:
    """A sample-run the solver has finished: its responses (records' Response objects, in the order of the
    sample's requests, repeats inside) and the solver's trace (agent episodes: reward, conversation)."""

    sample: Sample
    run: int
    seed: int
    responses: list[Any]
    trace: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoreContext:
    """What a scorer may use besides the sample and its answers: the solver's trace, and the model's
    tokenizer as a counter (long-context tasks record their context's length in the model's tokens)."""

    trace: dict[str, Any] = field(default_factory=dict)
    count_tokens: Callable[[str], int] | None = None


@runtime_checkable
class Scorer(Protocol):
    """Turns a sample's responses into a Score.

    `score` is pure (it runs in the scoring stage's worker processes, so a slow sandboxed test never stalls
    the engine). A model-graded scorer (a judge) sets `needs_engine`; after its pure part, the stage hands it
    the scored items in batches with the engine, in the engine's thread (`grade`)."""

    name: str
    version: str
    needs_engine: bool

    def score(self, sample: Sample, answers: list[list[Any]], ctx: ScoreContext) -> Score: ...

    def grade(self, items: Sequence[tuple[Generated, Score]], engine: Any) -> list[Score]: ...


class Solver(Protocol):
    """Turns sample-runs into responses with an engine, calling `emit` as each sample-run completes."""

    def solve(self, todo: Sequence[Any], engine: Any, emit: Callable[[Generated], None]) -> None: ...


class Benchmark(Protocol):
    spec: Any  # harness.config.spec.BenchmarkSpec
    metric_key: str  # the primary "metric,filter"
    scorer: Scorer
    rerunnable: bool  # the verifier can re-issue its recorded requests (False: interactive episodes)

    @property
    def name(self) -> str: ...

    def samples(self, *, chat: Callable[..., str] | None, system_prompt: str | None, limit: int | None) -> list[Sample]: ...

    def solver(self, *, base_seed: int, logprobs: int, max_in_flight: int, model_name: str) -> Solver: ...

    def describe(self) -> dict[str, Any]:
        """What spec.json records about it: kind, task versions, lm-eval's per-task metadata, capabilities."""
        ...


def answers_of(sample: Sample, responses: Sequence[Any]) -> list[list[Any]]:
    """Responses (flat, request-major) regrouped per request as lm-eval's filters expect: strings for
    generations, (loglikelihood, is_greedy) for loglikelihoods."""
    if not sample.requests:  # interactive episodes: their calls are evidence, their score comes from the trace
        return []
    out, k = [], 0
    for req in sample.requests:
        n = max(req.repeats, 1)
        out.append([_answer(r) for r in responses[k : k + n]])
        k += n
    if k != len(responses):
        raise ValueError(f"{len(responses)} responses for {sample.sample_id}, its requests ask {k}")
    return out


def _answer(resp: Any) -> Any:
    if resp.request_type == "loglikelihood":
        return (resp.loglikelihood, resp.is_greedy)
    return resp.text


def doc_sha256(doc: dict) -> str:
    """sha256 of a document as JSON with sorted keys: what a record names its document by."""
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
