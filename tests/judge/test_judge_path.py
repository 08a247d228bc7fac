"""The judge path end to end: a tiny local model judges (scores meaningless, plumbing real), evidence recorded."""

from __future__ import annotations

import pytest

from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.errors import ConfigError
from harness.judge.scorer import judge_seed
from harness.records.store import RecordStore
from harness.runner.job import run_job
from harness.scorers.answers import strip_thinking

pytestmark = pytest.mark.slow
# The plumbing is what is tested: short verdicts keep a CPU judge's generations brief.
SHORT_JUDGE = ["suite.benchmarks.hle.judge.max_tokens=16", "suite.benchmarks.aa_lcr.judge.max_tokens=16"]


@pytest.mark.parametrize("judge", ["tiny_hf", "same"])
def test_judged_benchmarks_record_the_judge(tmp_path, tiny_model_dir, judge):
    cfg = compose("run", ["suite=global_common", "data=sample", "model=tiny", f"judge={judge}", "run.repeats=2",
                          "+suite.only=[hle,aa_lcr]", "run.generation_override.max_tokens=8", *SHORT_JUDGE, f"out={tmp_path / 'p'}"])
    spec = build_run_spec(cfg)
    summary = run_job(spec)["benchmarks"]
    store = RecordStore(tmp_path / "p")
    for bench in ("hle", "aa_lcr"):
        assert summary[bench]["complete"] and summary[bench]["metric"] == "correct,none"
        prompts = store.load_prompts(bench)
        for rec in store.load(bench):
            j = rec.judge
            assert j is not None and j.model == ("tiny-judge" if judge == "tiny_hf" else "tiny")
            assert j.response.seed == judge_seed(rec.seed, bench, rec.sample_id, rec.run)
            judge_prompt = prompts[j.response.prompt_sha256]
            assert strip_thinking(rec.responses[0].text) in judge_prompt and str(rec.target) in judge_prompt
            assert set(j.verdict) >= {"parsed", "correct"} and rec.metrics["correct,none"] == j.verdict["correct"]
            assert j.response.token_ids and len(j.response.logprobs) == len(j.response.token_ids)


def test_two_in_process_vllm_engines_are_refused(tiny_model_dir):
    with pytest.raises(ConfigError, match="judge=openai"):
        build_run_spec(compose("run", ["model=tiny", "+judge.model={engine: vllm, name: j, path: /other, engine_args: {}}"]))


def test_a_judged_pack_verifies_with_the_judge_rerun(tmp_path, tiny_model_dir):
    import json

    from harness.verify.cli import main as verify_main

    cfg = compose("run", ["suite=global_common", "data=sample", "model=tiny", "judge=tiny_hf", "run.repeats=2",
                          "+suite.only=[hle]", "run.generation_override.max_tokens=8", SHORT_JUDGE[0], f"out={tmp_path / 'p'}"])
    run_job(build_run_spec(cfg))
    assert verify_main([str(tmp_path / "p"), "verify.seed=3", "verify.fraction=1.0", "verify.unsigned=true"]) == 0
    report = json.loads(next((tmp_path / "p" / "verification").glob("*.json")).read_text())
    assert report["counts"]["identical"] == len(report["triples"]) == len(RecordStore(tmp_path / "p").load("hle")) == 2 * 12
    assert all(t["score_identical"] for t in report["triples"])
