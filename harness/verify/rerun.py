"""Rebuild the run's samples (no engine), re-issue the drawn triples' requests exactly as recorded (prompt,
seed, settings) in one batch on one engine, and score the fresh responses through the run's own scoring
stage (harness.scoring.stage), judges included."""

from __future__ import annotations

from typing import Any

from harness.benchmarks.base import Generated, Sample
from harness.config.spec import RunSpec
from harness.engines.base import Engine, LoglikelihoodRequest
from harness.pack.hashing import sha256_text
from harness.records.schema import Response, SampleRecord
from harness.benchmarks.requests import generation_response, loglikelihood_response, request_from_record
from harness.verify.draw import Triple
from harness.verify.problems import Problem


def load_run_benchmarks(spec: RunSpec, names: set[str], used: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The named benchmarks of the run, loaded as the run loaded them (tasks, data, checks). `used`, when
    given, receives the datasets read with their files' hashes (as the run's manifest records them)."""
    from harness.benchmarks.data import DatasetResolver
    from harness.benchmarks.factory import load_benchmarks

    resolver = DatasetResolver(spec.data, {d.id: d for b in spec.benchmarks for d in b.datasets})
    if used is not None:
        try:
            return load_benchmarks([b for b in spec.benchmarks if b.name in names], resolver,
                                   judge_model=spec.model.name if spec.judge_model is None else spec.judge_model.name)
        finally:
            used += [u.to_dict() for u in resolver.used]
    judge_name = spec.model.name if spec.judge_model is None else spec.judge_model.name
    return load_benchmarks([b for b in spec.benchmarks if b.name in names], resolver, judge_model=judge_name)


def rebuild_samples(spec: RunSpec, benchmarks: dict[str, Any], renderer: Any) -> dict[str, dict[str, Sample]]:
    """The run's samples, rebuilt the way the run built them (few-shot, chat template, limit); `renderer`
    is the model's tokenizer (harness.engines.chat.TokenizerChat), as in the run."""
    from harness.benchmarks.factory import build_samples

    return {name: {s.sample_id: s for s in ss} for name, ss in build_samples(benchmarks, renderer, spec.max_samples).items()}


def rendered_prompts(sample: Sample) -> list[str]:
    """sha256 of each request's prompt, in the order a record lists its responses (request, then repeat)."""
    return [sha256_text(r.prompt) for r in sample.requests for _ in range(max(r.repeats, 1))]


def prompt_problems(records: dict[str, list[Any]], samples: dict[str, dict[str, Sample]]) -> list[Problem]:
    """Every record's prompts against the task's own rendering: a pack whose prompts are not the benchmark's
    (edited, hinted, another template) is named, one problem per benchmark with its first sample."""
    out = []
    for bench, by_id in sorted(samples.items()):
        bad = [r for r in records.get(bench, []) if r.sample_id not in by_id
               or rendered_prompts(by_id[r.sample_id]) != list(r.prompt_shas)]
        if bad:
            first = bad[0]
            why = "the task yields no such sample" if first.sample_id not in by_id else "its prompt differs from the task's rendering"
            out.append(Problem("prompts", f"prompts/{bench}.jsonl", f"{len(bad)} of {len(records[bench])} records' prompts are not the task's "
                               f"(task, template, data or lm-eval version differ, or prompts were edited); first: {why}",
                               sample=f"{first.sample_id} run {first.run}"))
    return out


def rerun_responses(triples: list[Triple], records: dict[tuple[str, str, int], SampleRecord], prompts: dict[str, dict[str, str]],
                    engine: Engine, logprobs: int) -> dict[Triple, list[Response]]:
    """Every drawn triple's requests re-issued as recorded: loglikelihoods deduplicated, generations in one batch."""
    gen_reqs, gen_slots, ll_unique, ll_slots = [], [], {}, []
    fresh: dict[Triple, list[Response | None]] = {}
    for t in triples:
        rec = records[(t.benchmark, t.sample_id, t.run)]
        fresh[t] = [None] * len(rec.responses)
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
    return fresh  # type: ignore[return-value]


def rerun_triples(triples: list[Triple], records: dict[tuple[str, str, int], SampleRecord], prompts: dict[str, dict[str, str]],
                  samples: dict[str, dict[str, Sample]], stage: Any, engine: Engine, logprobs: int,
                  judge_engine: Engine | None = None) -> tuple[dict[Triple, SampleRecord], list[Problem]]:
    """Re-run each drawn triple and score it through `stage` (the run's scoring stage, started before the
    engine). A triple whose sample the task no longer yields keeps its fresh responses, unscored."""
    from harness.scoring.stage import score_records

    problems = [Problem("prompts", f"records/{t.benchmark}.jsonl", "the task no longer yields this sample: not re-scored",
                        sample=f"{t.sample_id} run {t.run}") for t in triples if t.sample_id not in samples[t.benchmark]]
    fresh = rerun_responses(triples, records, prompts, engine, logprobs)
    scorable = [t for t in triples if t.sample_id in samples[t.benchmark]]
    items = [(t.benchmark, Generated(samples[t.benchmark][t.sample_id], t.run, records[(t.benchmark, t.sample_id, t.run)].seed, fresh[t]))
             for t in scorable]
    scored = score_records(stage, items, judge_engine or engine)
    out: dict[Triple, SampleRecord] = {t: records[(t.benchmark, t.sample_id, t.run)].model_copy(update={"responses": fresh[t], "metrics": {}, "extracted": {}})
                                       for t in triples}
    out.update(zip(scorable, scored))
    return out, problems


def forced_scores(triples: list[Triple], records: dict[tuple[str, str, int], SampleRecord], prompts: dict[str, dict[str, str]],
                  engine: Any) -> dict[Triple, list[Any]]:
    """Every drawn generation's recorded tokens scored under the model after its prompt (teacher forcing),
    in one batch; None for responses that are not generations (log-likelihoods are re-computed anyway)."""
    from harness.engines.base import ForcedRequest

    reqs, slots = [], []
    out: dict[Triple, list[Any]] = {}
    for t in triples:
        rec = records[(t.benchmark, t.sample_id, t.run)]
        out[t] = [None] * len(rec.responses)
        for j, resp in enumerate(rec.responses):
            if resp.request_type == "generate_until" and resp.token_ids:
                reqs.append(ForcedRequest(prompts[t.benchmark][resp.prompt_sha256], tuple(resp.token_ids)))
                slots.append((t, j))
    for (t, j), result in zip(slots, engine.score_tokens(reqs) if reqs else [], strict=True):
        out[t][j] = result
    return out
