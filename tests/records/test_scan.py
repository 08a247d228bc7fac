"""The fast row scanner gives what a full parse of each row gives, and refuses what the store refuses."""

from __future__ import annotations

import json

import pytest

from harness.errors import RecordError
from harness.records.scan import scan_rows
from harness.records.schema import JudgeRecord, Response, SampleRecord
from harness.records.store import RecordStore


def _records():
    gen = Response(request_type="generate_until", prompt_sha256="a" * 64, text='a "quoted" \\ "metrics":{"x":1} 답', finish_reason="stop", seed=3,
                   settings={"max_tokens": 8}, token_ids=[1, 2], logprobs=[-0.1, -0.2], top_ids=[[1], [2]], top_logprobs=[[-0.1], [-0.2]])
    ll = Response(request_type="loglikelihood", prompt_sha256="b" * 64, continuation=" (A)", loglikelihood=-1.5, is_greedy=False)
    judge = JudgeRecord(model="j", prompt_file="p.txt", response=gen, verdict={"metrics": {"correct": 1}})
    return [
        SampleRecord(benchmark="x", task="t", sample_id='t/0 "odd"', doc_id=0, run=0, seed=1, doc_sha256="c" * 64,
                     target={"responses": [{"request_type": "x"}]}, responses=[gen], metrics={"exact_match,none": 1, "note": "s"}),
        SampleRecord(benchmark="x", task="t", sample_id="t/1", doc_id=1, run=1, seed=2, doc_sha256="d" * 64, target="(A)",
                     responses=[ll, ll], metrics={"acc,none": 0.0}, judge=judge, scorer={"name": "lm_eval", "version": "1"}),
        SampleRecord(benchmark="x", task="t", sample_id="t/2", doc_id=2, run=0, seed=2, doc_sha256="e" * 64, responses=[],
                     metrics={}, score_error='sandbox_error: "killed"'),
    ]


def _expected(rec):
    return (rec.sample_id, rec.run, rec.metrics, rec.score_error, rec.doc_sha256, rec.responses[0].prompt_sha256 if rec.responses else None)


def test_scan_matches_the_store_on_written_rows_and_on_older_rows(tmp_path):
    store = RecordStore(tmp_path)
    recs = _records()
    with store.open_for_append("x") as app:
        app.append(recs, {})
    assert [tuple(r) for r in scan_rows(store.records_path("x"))] == [_expected(r) for r in store.iter_rows("x")]
    old = tmp_path / "old.jsonl"  # a version-1 row: other field order, no scorer/score_error: parsed whole
    obj = json.loads(recs[1].model_dump_json(exclude={"scorer", "score_error"}))
    old.write_text(json.dumps({**obj, "schema_version": 1}, sort_keys=True) + "\n")
    (row,) = scan_rows(old)
    assert tuple(row) == _expected(recs[1])


def test_a_torn_tail_is_not_a_row_and_a_repeat_is_an_error(tmp_path):
    path = tmp_path / "r.jsonl"
    line = _records()[1].model_dump_json()
    path.write_text(line + "\n" + line[:40])
    assert len(list(scan_rows(path))) == 1
    path.write_text(line + "\n" + line + "\n")
    with pytest.raises(RecordError, match="line 2 repeats sample t/1 run 1"):
        list(scan_rows(path))
    path.write_text("{not json\n")
    with pytest.raises(RecordError, match="line 1 is not a record"):
        list(scan_rows(path))
