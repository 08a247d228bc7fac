"""The hf engine gives the same multiple-choice scores as lm-eval run directly on the same model and task."""

from __future__ import annotations

import pytest

from harness.config.compose import compose
from harness.config.spec import DataSpec, build_run_spec
from harness.records.store import RecordStore
from harness.runner.job import run_job
from harness.benchmarks.data import DatasetResolver

pytestmark = pytest.mark.slow


def test_haerae_scores_match_lm_eval_simple_evaluate(tmp_path, tiny_model_dir):
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM

    cfg = compose("run", ["model=hf", f"model.path={tiny_model_dir}", "model.engine_args.dtype=float32",
                          "model.engine_args.device=cpu", "run.repeats=2", "+suite.only=[haerae]", f"out={tmp_path / 'pack'}"],
                  return_hydra_config=True)
    spec = build_run_spec(cfg, dict(cfg.hydra.runtime.choices))
    summary = run_job(spec)["benchmarks"]["haerae"]

    lm = HFLM(pretrained=str(tiny_model_dir), dtype="float32", device="cpu", batch_size=4)
    with DatasetResolver(DataSpec("sample", None), {}).active():
        ref = simple_evaluate(model=lm, tasks=["haerae"], log_samples=True, bootstrap_iters=0)

    # per sample: lm-eval's acc equals ours in every run
    ours = {(r.task, r.doc_id, r.run): r.metrics["acc,none"] for r in RecordStore(spec.out_dir).load("haerae")}
    theirs = {(task, s["doc_id"]): s["acc"] for task, samples in ref["samples"].items() for s in samples}
    assert len(theirs) == summary["n_items"] == 15
    for (task, doc_id), acc in theirs.items():
        assert ours[(task, doc_id, 0)] == acc == ours[(task, doc_id, 1)]
    # and the group score: lm-eval's size-weighted mean of subtasks is our micro mean
    assert summary["mean"] == pytest.approx(100 * ref["results"]["haerae"]["acc,none"])
