"""Solvers: a benchmark's sample-runs through the engine, each handed on (`emit`) as soon as its last
response arrives — the generation stage of a job. Scoring is not done here (harness.scoring.stage), so
nothing slow stalls the engine. (Agent episodes have their own solver: harness.benchmarks.agent.)

A sample-run is (sample, run); it needs one response per request (one per choice for multiple choice) and per
repeat. Loglikelihoods are deterministic, so identical requests across runs are computed once; generations
are sampled with each request's own seed and stream back as they finish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from harness.benchmarks.base import Generated, Sample
from harness.config.spec import BenchmarkSpec
from harness.engines.base import Engine, LoglikelihoodRequest
from harness.records.schema import Response
from harness.benchmarks.requests import generation_request, generation_response, loglikelihood_response
from harness.seeds import request_seed, run_seed

LOGLIKELIHOOD_CHUNK = 512  # sample-runs scored per loglikelihood call: bounds what a kill can lose


@dataclass
class SampleRun:
    sample: Sample
    run: int
    seed: int
    responses: list[list[Response | None]] = field(default_factory=list)  # [request][repeat]

    def __post_init__(self) -> None:
        self.responses = [[None] * max(r.repeats, 1) for r in self.sample.requests]

    @property
    def done(self) -> bool:
        return all(r is not None for per in self.responses for r in per)

    def generated(self) -> Generated:
        return Generated(self.sample, self.run, self.seed, [r for per in self.responses for r in per])


def plan(benchmark: str, samples: Sequence[Sample], repeats: int, base_seed: int, done: set[tuple[str, int]]) -> list[SampleRun]:
    """Every (sample, run) not yet recorded, sample-major so a sample's runs travel together."""
    return [SampleRun(s, r, request_seed(run_seed(base_seed, r), benchmark, s.sample_id, r))
            for s in samples for r in range(repeats) if (s.sample_id, r) not in done]


def repeat_seed(base_seed: int, benchmark: str, sr: SampleRun, k: int) -> int:
    """The seed of a request's k-th repeat: the sample-run's seed for the first, derived for the others."""
    return sr.seed if k == 0 else request_seed(run_seed(base_seed, sr.run), benchmark, sr.sample.sample_id, sr.run, k)


class RequestSolver:
    """Requests straight to the engine: loglikelihoods deduplicated and chunked, generations batched up to
    `max_in_flight` sample-runs and streamed back."""

    def __init__(self, spec: BenchmarkSpec, *, base_seed: int, logprobs: int, max_in_flight: int):
        self.spec, self.base_seed, self.logprobs, self.max_in_flight = spec, base_seed, logprobs, max_in_flight

    def solve(self, todo: Sequence[SampleRun], engine: Engine, emit: Callable[[Generated], None]) -> None:
        loglik = [sr for sr in todo if any(r.kind == "loglikelihood" for r in sr.sample.requests)]
        for start in range(0, len(loglik), LOGLIKELIHOOD_CHUNK):
            self._loglikelihood(loglik[start : start + LOGLIKELIHOOD_CHUNK], engine, emit)
        gen = [sr for sr in todo if not sr.done]
        for start in range(0, len(gen), self.max_in_flight):
            self._generate(gen[start : start + self.max_in_flight], engine, emit)

    def _loglikelihood(self, batch: list[SampleRun], engine: Engine, emit: Callable[[Generated], None]) -> None:
        unique: dict[tuple[str, str], int] = {}
        slots = []
        for sr in batch:
            for i, req in enumerate(sr.sample.requests):
                if req.kind != "loglikelihood":
                    continue
                key = (req.prompt, req.continuation or "")
                unique.setdefault(key, len(unique))
                slots.extend((sr, i, k, key) for k in range(len(sr.responses[i])))
        requests = [LoglikelihoodRequest(c, x) for (c, x) in unique]
        results = engine.loglikelihood(requests)
        for sr, i, k, key in slots:
            idx = unique[key]
            sr.responses[i][k] = loglikelihood_response(requests[idx], results[idx])
        for sr in batch:
            if sr.done:
                emit(sr.generated())

    def _generate(self, batch: list[SampleRun], engine: Engine, emit: Callable[[Generated], None]) -> None:
        requests, slots = [], []
        for sr in batch:
            for i, req in enumerate(sr.sample.requests):
                if req.kind != "generate_until":
                    continue
                for k in range(len(sr.responses[i])):
                    seed = repeat_seed(self.base_seed, self.spec.name, sr, k)
                    requests.append(generation_request(req.prompt, req.gen_kwargs, self.spec.generation, seed, self.logprobs))
                    slots.append((sr, i, k))
        for idx, result in engine.generate(requests):
            sr, i, k = slots[idx]
            sr.responses[i][k] = generation_response(requests[idx], result)
            if sr.done:
                emit(sr.generated())
