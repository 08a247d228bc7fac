"""A private NIA-format file written in the test runs end to end through real vLLM, with no code change."""

from __future__ import annotations

import json

import pytest
from nia_items import GOOD, write_jsonl

from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.records.store import RecordStore
from harness.runner.job import run_job

pytestmark = pytest.mark.slow


def _run(tmp_path, path, *extra):
    cfg = compose("run", ["model=tiny", "suite=sample", "run.repeats=2", f"out={tmp_path / 'pack'}", "+suite.only=[private]",
                          "+suite.benchmarks.private.kind=nia", "+suite.benchmarks.private.task=nia_jsonl", f"+suite.benchmarks.private.path={path}",
                          "+suite.benchmarks.private.metric=score", "run.generation_override.max_tokens=16", *extra])
    return run_job(build_run_spec(cfg))["benchmarks"]["private"]


def test_a_private_file_runs_with_no_code_change(tmp_path, good_file):
    summary = _run(tmp_path, good_file)
    assert summary["complete"] and summary["n_items"] == len(GOOD) and summary["metric"] == "score,none"
    records = RecordStore(tmp_path / "pack").load("private")
    assert len(records) == 2 * len(GOOD) and {r.run for r in records} == {0, 1}
    by_item = {r.doc_id: r for r in records if r.run == 0}  # documents in file order
    for n, item in enumerate(GOOD):
        rec = by_item[n]
        assert rec.metrics["score,none"] in (0.0, 1.0) and f"score_{item['area']},none" in rec.metrics
    assert "bias_amb,none" in by_item[7].metrics
    assert by_item[3].metrics["context_tokens,none"] > 0  # the context's length in the model's tokens
    manifest = json.loads((tmp_path / "pack" / "manifest.json").read_text())
    assert any(str(good_file) in d["files"] for d in manifest["datasets"])  # the private file's hash is recorded


def test_a_private_choice_file_runs_by_log_likelihood(tmp_path):
    path = write_jsonl(tmp_path / "mc.jsonl", [i for i in GOOD if i["scorer"] in ("choice", "bias")])
    summary = _run(tmp_path, path, "+suite.benchmarks.private.mode=multiple_choice")
    assert summary["complete"] and summary["n_items"] == 3
    records = RecordStore(tmp_path / "pack").load("private")
    assert all(resp.request_type == "loglikelihood" for r in records for resp in r.responses)
    # log-likelihood scoring has no sampling: both runs agree
    score = {(r.sample_id, r.run): r.metrics["score,none"] for r in records}
    assert all(score[(s, 0)] == score[(s, 1)] for s, _ in score)
