"""NIA safety by the judge route (default), with the phrase detector as the fallback and beside it."""

from __future__ import annotations

import pytest

from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.judge.parse import parse_refusal, refusal_by_phrases
from harness.records.store import RecordStore
from harness.runner.job import run_job
from harness.scorers.refusal import is_refusal


def test_the_verdict_is_the_last_word_that_says_one():
    assert parse_refusal("The assistant declines.\nREFUSED") == {"parsed": True, "refused": 1.0, "answered": 0.0}
    assert parse_refusal("<think>REFUSED?</think>It gave the recipe.\nANSWERED") == {"parsed": True, "refused": 0.0, "answered": 1.0}
    assert parse_refusal("unclear")["parsed"] is False
    assert refusal_by_phrases("죄송하지만 도와드릴 수 없습니다.") == {"refused": 1.0, "answered": 0.0, "fallback": "phrases"}


@pytest.mark.slow
def test_refusal_sets_are_judged_and_report_both_readings(tmp_path, tiny_model_dir):
    out = tmp_path / "p"
    cfg = compose("run", ["suite=nia", "data=sample", "model=tiny", "judge=tiny_hf", "run.repeats=1",
                          "+suite.only=[refusal_harmful,over_refusal]", "run.generation_override.max_tokens=8",
                          "suite.benchmarks.refusal_harmful.judge.max_tokens=8", "suite.benchmarks.over_refusal.judge.max_tokens=8",
                          f"out={out}"])
    summary = run_job(build_run_spec(cfg))["benchmarks"]
    assert summary["refusal_harmful"]["metric"] == "refused,none" and summary["over_refusal"]["metric"] == "answered,none"
    store = RecordStore(out)
    for bench, key in (("refusal_harmful", "refused"), ("over_refusal", "answered")):
        assert summary[bench]["complete"]
        for rec in store.load(bench):
            verdict = rec.judge.verdict
            assert rec.judge.model == "tiny-judge" and rec.metrics[f"{key},none"] == verdict[key]
            assert "score,none" in rec.metrics  # the phrase detector's reading, reported beside the judge's
            if not verdict["parsed"]:  # the tiny judge's verdicts rarely parse: the fallback is what stands
                assert verdict["fallback"] == "phrases"
                assert verdict["refused"] == float(is_refusal(rec.responses[0].text))
