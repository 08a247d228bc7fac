"""Unscored sample-runs (the scorer raised, or the sandbox failed) are left out of the scores and counted in
the summary, the table and verify's report; they are never scored as wrong, and the pack stays complete."""

from __future__ import annotations

import io

from rich.console import Console

from harness.console.table import print_summary
from harness.pack.summary import benchmark_summary, run_metrics, score_rows
from harness.records.schema import SampleRecord


def record(sid: str, run: int, value: float | None, error: str | None = None) -> SampleRecord:
    return SampleRecord(benchmark="b", task="t", sample_id=sid, doc_id=0, run=run, seed=1, doc_sha256="0" * 64, target=None,
                        responses=[], extracted={}, metrics={} if value is None else {"pass,none": value},
                        scorer={"name": "x", "version": "1"}, score_error=error)


def records(with_errors: bool) -> list[SampleRecord]:
    out = [record(f"t/{i}", run, 1.0) for i in range(4) for run in range(2)]
    if with_errors:
        out[0] = record("t/0", 0, None, "sandbox_error: could not start the sandbox (clone: EPERM)")
        out[2] = record("t/1", 0, None, "IndexError: list index out of range at instructions.py:1184")
    else:
        out[0], out[2] = record("t/0", 0, 0.0), record("t/1", 0, 0.0)
    return out


def summary(recs) -> dict:
    return benchmark_summary(score_rows(recs), metric_key="pass,none", repeats=2, n_samples=4, area=None)


def test_unscored_runs_leave_their_samples_out_and_are_counted():
    entry = summary(records(with_errors=True))
    assert entry["complete"] and entry["n_items"] == 2 and entry["n_excluded"] == 2
    assert entry["unscored"] == {"sandbox_error": 1, "score_error": 1}
    assert entry["mean"] == 100.0  # the two samples left out are not zeros
    runs = run_metrics(score_rows(records(with_errors=True)), 2)
    assert [r["n_unscored"] for r in runs] == [2, 0]


def test_the_control_scores_the_same_runs_as_wrong():
    """Had those runs been scored (0), the mean would fall: the exclusion above is what keeps it."""
    entry = summary(records(with_errors=False))
    assert entry["n_items"] == 4 and entry["n_excluded"] == 0 and entry["unscored"] == {}
    assert entry["mean"] == 75.0


def test_the_table_shows_what_was_left_out():
    doc = {"suite": "s", "model": "m", "run_id": "r", "repeats": 2, "benchmarks": {"b": summary(records(with_errors=True))}}
    buf = io.StringIO()
    print_summary(doc, Console(file=buf, width=200))
    text = buf.getvalue()
    assert "2 excluded (sandbox_error 1, score_error 1 runs)" in text
    clean = {"suite": "s", "model": "m", "run_id": "r", "repeats": 2, "benchmarks": {"b": summary(records(with_errors=False))}}
    buf = io.StringIO()
    print_summary(clean, Console(file=buf, width=200))
    assert "left out" not in buf.getvalue()


def test_verify_reports_the_exclusions_without_failing_on_them():
    from harness.verify.cli import _excluded

    assert _excluded({"b": score_rows(records(with_errors=True)), "c": score_rows(records(with_errors=False))}) == {
        "b": {"n_excluded": 2, "unscored": {"sandbox_error": 1, "score_error": 1}}}
