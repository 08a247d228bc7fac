"""A τ²-Bench episode end to end on the tiny model: the package runs in .venv-agents, our engine answers."""

from __future__ import annotations

import pytest

from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.paths import REPO_ROOT
from harness.records.store import RecordStore
from harness.runner.job import run_job
from harness.seeds import request_seed, run_seed

pytestmark = pytest.mark.slow


@pytest.mark.skipif(not (REPO_ROOT / ".venv-agents" / "bin" / "python").exists(), reason="make setup-agents (CI installs it)")
def test_tau2_episodes_run_and_are_recorded(tmp_path, tiny_model_dir):
    cfg = compose("run", ["suite=global_common", "data=sample", "model=tiny", "run.repeats=2", "+suite.only=[tau2]",
                          "run.generation_override.max_tokens=16", f"out={tmp_path / 'p'}"])
    spec = build_run_spec(cfg)
    summary = run_job(spec)["benchmarks"]["tau2"]
    assert summary["complete"] and summary["n_items"] == 2 and summary["metric"] == "reward,none"
    assert {int(k) for k in summary["pass_hat_k"]} == {1, 2} and all(0 <= v <= 100 for v in summary["pass_hat_k"].values())
    store = RecordStore(tmp_path / "p")
    prompts = store.load_prompts("tau2")
    for rec in store.load("tau2"):
        assert rec.seed == request_seed(run_seed(spec.seed, rec.run), "tau2", rec.sample_id, rec.run)
        roles = rec.extracted["roles"]
        assert "agent" in roles and "user" in roles and len(roles) == len(rec.responses)
        assert rec.extracted["conversation"] and rec.extracted["termination_reason"]
        assert all(r.seed == rec.seed % 2**31 and r.prompt_sha256 in prompts and r.token_ids for r in rec.responses)
        assert 0.0 <= rec.metrics["reward,none"] <= 1.0 and rec.metrics["pass,none"] == float(rec.metrics["reward,none"] >= 1.0)


@pytest.mark.skipif(not (REPO_ROOT / ".venv-agents" / "bin" / "python").exists(), reason="make setup-agents (CI installs it)")
def test_a_pack_with_agent_episodes_verifies_their_integrity(tmp_path, tiny_model_dir):
    import json

    from harness.verify.cli import main as verify_main

    cfg = compose("run", ["suite=global_common", "data=sample", "model=tiny", "run.repeats=2", "+suite.only=[tau2,kobalt]",
                          "run.generation_override.max_tokens=8", f"out={tmp_path / 'p'}"])
    run_job(build_run_spec(cfg))
    assert verify_main([str(tmp_path / "p"), "verify.seed=1", "verify.fraction=1.0", "verify.unsigned=true"]) == 0
    report = json.loads(next((tmp_path / "p" / "verification").glob("*.json")).read_text())
    assert report["integrity"]["problems"] == []
    assert {t["benchmark"] for t in report["not_rerun"]} == {"tau2"} and len(report["not_rerun"]) == 4
    assert {t["benchmark"] for t in report["triples"]} == {"kobalt"}
