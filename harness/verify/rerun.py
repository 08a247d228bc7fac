"""Re-issue the drawn triples' requests exactly as recorded (prompt, seed, settings), all in one batch on one
engine, and re-score them with the same lm-eval task code the run used."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.config.spec import ModelSpec, RunSpec
from harness.engines.base import Engine, LoglikelihoodRequest
from harness.pack.hashing import sha256_text
from harness.records.schema import Response, SampleRecord
from harness.runner.execute import jsonable
from harness.runner.requests import generation_response, lm_eval_answer, loglikelihood_response, request_from_record
from harness.tasks.bridge import BenchmarkTasks, Sample, load_benchmark
from harness.tasks.data import DatasetResolver
from harness.verify.draw import Triple
from harness.verify.problems import Problem


@dataclass
class Rerun:
    responses: list[Response]
    metrics: dict[str, Any]
    extracted: dict[str, Any] = field(default_factory=dict)
    judge: Any = None


def load_tasks(spec: RunSpec, benchmarks: set[str]) -> dict[str, BenchmarkTasks]:
    resolver = DatasetResolver(spec.data, {d.id: d for b in spec.benchmarks for d in b.datasets})
    return {b.name: load_benchmark(b, resolver) for b in spec.benchmarks if b.name in benchmarks}


class TokenizerChat:
    """Renders chats with the model's own tokenizer, as its engine would, so the run's samples are rebuilt
    (and their prompts checked) before any engine starts."""

    def __init__(self, model: ModelSpec):
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model.tokenizer or model.path, trust_remote_code=model.trust_remote_code)

    def apply_chat_template(self, messages: list[dict], *, enable_thinking: bool | None = None, tools: list | None = None) -> str:
        from harness.engines.tokens import render_chat

        return render_chat(self.tokenizer, messages, enable_thinking=enable_thinking, tools=tools)


def rebuild_samples(spec: RunSpec, tasks: dict[str, BenchmarkTasks], renderer: Any = None) -> dict[str, dict[str, Sample]]:
    """The run's samples, rebuilt the way the run built them (few-shot, chat template, limit). `renderer`
    has the engine's apply_chat_template (an engine, or TokenizerChat); built on first need when None."""
    out = {}
    for b in spec.benchmarks:
        if b.name not in tasks:
            continue
        chat = None
        if b.generation.chat_template:
            renderer = renderer or TokenizerChat(spec.model)

            def chat(messages, add_generation_prompt=True, _t=b.generation.thinking, _r=renderer):
                return _r.apply_chat_template(messages, enable_thinking=_t)
        samples = tasks[b.name].samples(chat=chat, system_prompt=b.generation.system_prompt, limit=spec.max_samples)
        out[b.name] = {s.sample_id: s for s in samples}
    return out


def rendered_prompts(sample: Sample) -> list[str]:
    """sha256 of each request's prompt, in the order a record lists its responses (instance, then repeat)."""
    return [sha256_text(inst.args[0]) for inst in sample.instances for _ in range(max(inst.repeats or 1, 1))]


def prompt_problems(records: dict[str, list[SampleRecord]], samples: dict[str, dict[str, Sample]]) -> list[Problem]:
    """Every record's prompts against the task's own rendering: a pack whose prompts are not the benchmark's
    (edited, hinted, another template) is named, one problem per benchmark with its first sample."""
    out = []
    for bench, by_id in sorted(samples.items()):
        bad = [r for r in records.get(bench, []) if r.sample_id not in by_id
               or rendered_prompts(by_id[r.sample_id]) != [x.prompt_sha256 for x in r.responses]]
        if bad:
            first = bad[0]
            why = "the task yields no such sample" if first.sample_id not in by_id else "its prompt differs from the task's rendering"
            out.append(Problem("prompts", f"prompts/{bench}.jsonl", f"{len(bad)} of {len(records[bench])} records' prompts are not the task's "
                               f"(task, template, data or lm-eval version differ, or prompts were edited); first: {why}",
                               sample=f"{first.sample_id} run {first.run}"))
    return out


def rerun_triples(
    triples: list[Triple],
    records: dict[tuple[str, str, int], SampleRecord],
    prompts: dict[str, dict[str, str]],
    samples: dict[str, dict[str, Sample]],
    tasks: dict[str, BenchmarkTasks],
    engine: Engine,
    logprobs: int,
    judge_engine: Engine | None = None,
) -> tuple[dict[Triple, Rerun], list[Problem]]:
    problems: list[Problem] = []
    gen_reqs, gen_slots, ll_unique, ll_slots = [], [], {}, []
    fresh: dict[Triple, list[Response | None]] = {}
    for t in triples:
        rec = records[(t.benchmark, t.sample_id, t.run)]
        fresh[t] = [None] * len(rec.responses)
        if t.sample_id not in samples[t.benchmark]:
            problems.append(Problem("prompts", f"records/{t.benchmark}.jsonl", "the task no longer yields this sample: not re-scored", sample=f"{t.sample_id} run {t.run}"))
        for j, resp in enumerate(rec.responses):
            prompt = prompts[t.benchmark][resp.prompt_sha256]
            if resp.request_type == "generate_until":
                gen_reqs.append(request_from_record(prompt, resp, logprobs))
                gen_slots.append((t, j))
            else:
                key = (prompt, resp.continuation or "")
                ll_unique.setdefault(key, len(ll_unique))
                ll_slots.append((t, j, key))
    ll_reqs = [LoglikelihoodRequest(c, x) for c, x in ll_unique]
    ll_results = engine.loglikelihood(ll_reqs) if ll_reqs else []
    for t, j, key in ll_slots:
        i = ll_unique[key]
        fresh[t][j] = loglikelihood_response(ll_reqs[i], ll_results[i])
    for i, result in engine.generate(gen_reqs):
        t, j = gen_slots[i]
        fresh[t][j] = generation_response(gen_reqs[i], result)

    out = {}
    for t, responses in fresh.items():
        sample = samples[t.benchmark].get(t.sample_id)
        if sample is None:
            out[t] = Rerun(responses, {})  # type: ignore[arg-type]
            continue
        answers, k = [], 0
        for inst in sample.instances:
            n = max(inst.repeats or 1, 1)
            answers.append([lm_eval_answer(r) for r in responses[k : k + n]])  # type: ignore[arg-type]
            k += n
        extracted, metrics = tasks[t.benchmark].score(sample, answers)
        out[t] = Rerun(responses, jsonable(metrics), jsonable(extracted))  # type: ignore[arg-type]
    _rejudge(triples, records, prompts, samples, tasks, out, judge_engine or engine, logprobs)
    return out, problems


def _rejudge(triples, records, prompts, samples, tasks, out, engine: Engine, logprobs: int) -> None:
    """Judged samples: the judge's recorded request (prompt, seed, settings) is re-issued, but with the
    re-run response in place of the recorded one — the verdict must follow from the output, not the record."""
    from harness.judge.parse import PARSERS
    from harness.judge.stage import JudgeStage
    from harness.records.schema import JudgeRecord

    jobs = []
    for t in triples:
        rec = records[(t.benchmark, t.sample_id, t.run)]
        settings = tasks[t.benchmark].spec.judge
        if rec.judge is None or settings is None or t not in out or not out[t].responses:
            continue
        stage = JudgeStage(settings, engine, rec.judge.model, t.benchmark)
        sample = samples[t.benchmark].get(t.sample_id)
        prompt = stage.prompt(sample.doc, out[t].responses[0].text or "") if sample else prompts[t.benchmark][rec.judge.response.prompt_sha256]
        jobs.append((t, rec, request_from_record(prompt, rec.judge.response, logprobs), PARSERS[settings.parser]))
    for i, result in engine.generate([j[2] for j in jobs]):
        t, rec, req, parse = jobs[i]
        verdict = parse(result.text)
        out[t].metrics.update({f"{k},none": float(v) for k, v in verdict.items() if k in ("correct", "parsed")})
        out[t].judge = JudgeRecord(model=rec.judge.model, prompt_file=rec.judge.prompt_file, response=generation_response(req, result), verdict=verdict)

