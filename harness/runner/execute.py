"""Run one benchmark's sample-runs through the engine and append a record as each sample-run completes.

A sample-run is (sample, run); it needs one response per lm-eval instance (one per choice for multiple
choice) and per task repeat. Loglikelihoods are deterministic, so identical requests across runs are
computed once; generations are sampled with each request's own seed and stream back as they finish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from harness.config.spec import BenchmarkSpec
from harness.engines.base import Engine, LoglikelihoodRequest
from harness.engines.tokens import encode
from harness.judge.stage import JudgeStage
from harness.records.schema import JudgeRecord, Response, SampleRecord
from harness.runner.requests import (
    generation_request,
    generation_response,
    lm_eval_answer,
    loglikelihood_response,
)
from harness.seeds import request_seed, run_seed
from harness.tasks.bridge import BenchmarkTasks, Sample, doc_sha256

LOGLIKELIHOOD_CHUNK = 512  # sample-runs scored per loglikelihood call: bounds what a kill can lose


@dataclass
class SampleRun:
    sample: Sample
    run: int
    seed: int
    responses: list[list[Response | None]] = field(default_factory=list)  # [instance][repeat]

    def __post_init__(self) -> None:
        self.responses = [[None] * max(inst.repeats or 1, 1) for inst in self.sample.instances]

    @property
    def done(self) -> bool:
        return all(r is not None for per in self.responses for r in per)

    def slot_seed(self, benchmark: str, base: int, repeat: int) -> int:
        return request_seed(base, benchmark, self.sample.sample_id, self.run, repeat)


def plan(benchmark: str, samples: Sequence[Sample], repeats: int, base_seed: int, done: set[tuple[str, int]]) -> list[SampleRun]:
    """Every (sample, run) not yet recorded, sample-major so a sample's runs travel together."""
    out = []
    for s in samples:
        for r in range(repeats):
            if (s.sample_id, r) not in done:
                out.append(SampleRun(s, r, request_seed(run_seed(base_seed, r), benchmark, s.sample_id, r)))
    return out


class BenchmarkExecutor:
    def __init__(
        self,
        bench: BenchmarkTasks,
        spec: BenchmarkSpec,
        engine: Engine,
        *,
        base_seed: int,
        logprobs: int,
        max_in_flight: int,
        on_complete: Callable[[list[SampleRecord], dict[str, str]], None],
        judge: JudgeStage | None = None,
    ):
        self.bench, self.spec, self.engine, self.judge = bench, spec, engine, judge
        self.base_seed, self.logprobs, self.max_in_flight = base_seed, logprobs, max_in_flight
        self.on_complete = on_complete
        tokenizer = getattr(engine, "tokenizer", None)  # engines that tokenise locally (vllm, hf; openai with one)
        self._count_tokens = None if tokenizer is None else (lambda text: len(encode(tokenizer, text, add_special_tokens=False)))

    def run(self, todo: list[SampleRun]) -> None:
        loglik = [sr for sr in todo if any(i.request_type != "generate_until" for i in sr.sample.instances)]
        for start in range(0, len(loglik), LOGLIKELIHOOD_CHUNK):
            self._loglikelihood(loglik[start : start + LOGLIKELIHOOD_CHUNK])
        gen = [sr for sr in todo if not sr.done]
        for start in range(0, len(gen), self.max_in_flight):
            self._generate(gen[start : start + self.max_in_flight])

    def _loglikelihood(self, batch: list[SampleRun]) -> None:
        unique: dict[tuple[str, str], int] = {}
        slots = []
        for sr in batch:
            for i, inst in enumerate(sr.sample.instances):
                if inst.request_type == "generate_until":
                    continue
                context, continuation = inst.args[0], inst.args[1]
                key = (context, continuation)
                unique.setdefault(key, len(unique))
                slots.extend((sr, i, k, key) for k in range(len(sr.responses[i])))
        requests = [LoglikelihoodRequest(c, x) for (c, x) in unique]
        results = self.engine.loglikelihood(requests)
        for sr, i, k, key in slots:
            idx = unique[key]
            sr.responses[i][k] = loglikelihood_response(requests[idx], results[idx])
        self._finish([sr for sr in batch if sr.done])

    def _generate(self, batch: list[SampleRun]) -> None:
        requests, slots = [], []
        for sr in batch:
            for i, inst in enumerate(sr.sample.instances):
                if inst.request_type != "generate_until":
                    continue
                context, gen_kwargs = inst.args[0], inst.args[1]
                for k in range(len(sr.responses[i])):
                    seed = sr.seed if k == 0 else request_seed(run_seed(self.base_seed, sr.run), self.spec.name, sr.sample.sample_id, sr.run, k)
                    requests.append(generation_request(context, gen_kwargs, self.spec.generation, seed, self.logprobs))
                    slots.append((sr, i, k))
        judged: list[SampleRun] = []
        for idx, result in self.engine.generate(requests):
            sr, i, k = slots[idx]
            sr.responses[i][k] = generation_response(requests[idx], result)
            if sr.done:
                if self.judge is None:
                    self._finish([sr])
                else:  # judged together once the batch is generated: one judge batch, not one call per sample
                    judged.append(sr)
        if judged:
            self._finish(judged, self._run_judge(judged))

    def _run_judge(self, batch: list[SampleRun]) -> list[tuple[JudgeRecord, str]]:
        items = [(sr.sample.doc, sr.responses[0][0].text or "", sr.seed, sr.sample.sample_id, sr.run) for sr in batch]
        requests = self.judge.requests(items)
        out: list[tuple[JudgeRecord, str] | None] = [None] * len(requests)
        for idx, result in self.judge.engine.generate(requests):
            resp = generation_response(requests[idx], result)
            out[idx] = (JudgeRecord(model=self.judge.model_name, prompt_file=self.judge.settings.prompt_file, response=resp,
                                    verdict=self.judge.verdict(result.text)), requests[idx].prompt)
        return out  # type: ignore[return-value]

    def _finish(self, done: list[SampleRun], judged: list[tuple[JudgeRecord, str]] | None = None) -> None:
        if not done:
            return
        records, prompts = [], {}
        for n, sr in enumerate(done):
            responses = [[r for r in per] for per in sr.responses]
            extracted, metrics = self.bench.score(sr.sample, [[lm_eval_answer(r) for r in per] for per in responses], self._count_tokens)
            judge = None
            if judged is not None:
                judge, judge_prompt = judged[n]
                prompts[_sha(judge_prompt)] = judge_prompt
                metrics.update({f"{k},none": float(v) for k, v in judge.verdict.items() if k in ("correct", "parsed")})
            for inst in sr.sample.instances:
                prompts[_sha(inst.args[0])] = inst.args[0]
            records.append(
                SampleRecord(
                    benchmark=self.spec.name,
                    task=sr.sample.task,
                    sample_id=sr.sample.sample_id,
                    doc_id=sr.sample.doc_id,
                    run=sr.run,
                    seed=sr.seed,
                    doc_sha256=doc_sha256(sr.sample.doc),
                    target=_jsonable(sr.sample.target),
                    responses=[r for per in responses for r in per],
                    extracted=_jsonable(extracted),
                    metrics=_jsonable(metrics),
                    judge=judge,
                )
            )
        self.on_complete(records, prompts)


def _sha(text: str) -> str:
    from harness.pack.hashing import sha256_text

    return sha256_text(text)


def _jsonable(obj):
    """Targets and extracted answers come from task code: keep JSON types, stringify the rest."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    return str(obj)


jsonable = _jsonable  # public: the verifier normalises what it re-scores exactly as records were written
