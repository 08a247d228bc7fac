"""The scoring stage: sandboxed code tests run beside the engine, never in its way; a scorer's exception
marks its sample-run unscored instead of ending the job; run and verify score through this one stage."""

from __future__ import annotations

import time

import pytest

import harness.engines.factory as factory
import harness.records.store as store
from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.engines.base import GenerationResult
from harness.runner.job import run_job

pytestmark = pytest.mark.slow
SLOW_PROGRAM = "```python\nimport time\nt = time.time()\nwhile time.time() - t < 1.5:\n    pass\n```"


class _SlowCodeAnswers:
    """The real engine, except that LiveCodeBench prompts get a program that computes for 1.5 s per test."""

    def __init__(self, engine, events):
        self._engine, self._events = engine, events

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def generate(self, requests):
        code = [i for i, r in enumerate(requests) if "### Answer: (use the provided format with backticks)" in r.prompt]
        self._events.append(("generate", "livecodebench" if code else "other", time.monotonic()))
        for i in code:
            yield i, GenerationResult(text=SLOW_PROGRAM, token_ids=[1, 2], logprobs=[-0.1, -0.1], top_ids=[[1], [2]],
                                      top_logprobs=[[-0.1], [-0.1]], finish_reason="stop")
        rest = [i for i in range(len(requests)) if i not in code]
        for j, result in self._engine.generate([requests[i] for i in rest]):
            yield rest[j], result


def _run(tmp_path, monkeypatch, workers):
    events: list[tuple[str, str, float]] = []
    make = factory.make_engine
    monkeypatch.setattr(factory, "make_engine", lambda model, **kw: _SlowCodeAnswers(make(model, **kw), events))
    append = store._Appender.append

    def logged(self, records, prompts):
        records = list(records)
        events.extend(("recorded", r.benchmark, time.monotonic()) for r in records)
        return append(self, records, prompts)
    monkeypatch.setattr(store._Appender, "append", logged)
    cfg = compose("run", ["suite=global_common", "data=sample", "model=tiny", "+suite.only=[livecodebench,mmlu_pro]",
                          "run.repeats=1", "run.max_samples=3", "run.generation_override.max_tokens=8",
                          f"run.scoring_workers={workers}", f"out={tmp_path / f'p{workers}'}"])
    summary = run_job(build_run_spec(cfg))
    assert summary["benchmarks"]["livecodebench"]["complete"] and summary["benchmarks"]["mmlu_pro"]["complete"]
    other_starts = min(t for kind, what, t in events if kind == "generate" and what == "other")
    code_recorded = max(t for kind, what, t in events if kind == "recorded" and what == "livecodebench")
    return other_starts, code_recorded


def test_sandboxed_tests_do_not_hold_up_the_next_benchmark(tmp_path, monkeypatch, tiny_model_dir):
    other_starts, code_recorded = _run(tmp_path, monkeypatch, workers=2)
    assert other_starts < code_recorded  # MMLU-Pro was generating while LiveCodeBench's programs still ran


def test_without_workers_the_engine_waits_for_the_sandbox(tmp_path, monkeypatch, tiny_model_dir):
    """The control: scoring in the job's own process blocks generation, so the test above can fail."""
    other_starts, code_recorded = _run(tmp_path, monkeypatch, workers=0)
    assert other_starts > code_recorded


def test_a_scorer_that_raises_leaves_its_sample_run_unscored(monkeypatch):
    """A task's own code failing on one answer is recorded with the record, not fatal to the job."""
    from harness.benchmarks.base import Generated
    from harness.benchmarks.data import DatasetResolver
    from harness.benchmarks.factory import build_samples, load_benchmarks
    from harness.records.schema import Response
    from harness.scoring.stage import ScoringStage, score_records

    spec = build_run_spec(compose("run", ["model=tiny", "+suite.only=[hrm8k_ksm]", "run.max_samples=2"]))
    benches = load_benchmarks(spec.benchmarks, DatasetResolver(spec.data, {}))
    samples = build_samples(benches, None, 2)["hrm8k_ksm"]
    task = benches["hrm8k_ksm"].scorer.tasks[samples[0].task]
    original = task.process_results

    def fragile(doc, results):
        if results[0].startswith("boom"):
            raise IndexError("list index out of range")
        return original(doc, results)
    monkeypatch.setattr(task, "process_results", fragile)

    def gen(sample, text):
        return Generated(sample, 0, 1, [Response(request_type="generate_until", prompt_sha256="x", text=text)])
    items = [("hrm8k_ksm", gen(samples[0], "boom")), ("hrm8k_ksm", gen(samples[1], "\\boxed{6}"))]
    with ScoringStage(benches, {"hrm8k_ksm": {s.sample_id: s for s in samples}}, workers=1) as stage:
        bad, good = score_records(stage, items)
    assert bad.metrics == {} and bad.score_error.startswith("IndexError: list index out of range")
    assert good.score_error is None and "exact_match,none" in good.metrics
    assert good.scorer == {"name": "lm_eval", "version": "1"}


def test_run_and_verify_score_through_the_same_stage(tmp_path, monkeypatch, tiny_model_dir):
    from harness.scoring.stage import ScoringStage
    from harness.verify.cli import main as verify

    calls: list[str] = []
    submit = ScoringStage.submit
    monkeypatch.setattr(ScoringStage, "submit", lambda self, bench, g: (calls.append(bench), submit(self, bench, g))[1])
    out = tmp_path / "p"
    run_job(build_run_spec(compose("run", ["model=tiny", "run.repeats=2", "run.max_samples=2", f"out={out}"])))
    recorded = len(calls)
    assert recorded == 2 * (2 * 5 + 2)  # haerae: 5 subtasks × 2 items, hrm8k_ksm: 2 items; two runs each
    assert verify([str(out), "verify.seed=1", "verify.fraction=1.0", "verify.unsigned=true"]) == 0
    # every record re-scored from its recorded output (before any engine), then every re-run triple: the stage both times
    assert len(calls) == 3 * recorded
