"""The columnar token store: lossless where it must be, cut back like a torn line after a kill, readable with
pyarrow alone, and hashed so that any changed token changes its record's hash."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness.records import tokens as tok
from harness.records.schema import Response, SampleRecord
from harness.records.store import RecordStore, row_line


def _f32(x):
    return float(np.float32(x))


def _response(n: int, seed: int, k: int = 2) -> Response:
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 50_000, n).tolist()
    lps = [_f32(-x) for x in rng.exponential(0.5, n)]
    tops, tlps = [], []
    for p in range(n):
        where = p % (k + 1)  # the token first, second, … or not among the alternatives at all
        alts = [int(x) for x in rng.integers(50_000, 60_000, k)]
        alp = sorted((_f32(lps[p] - 0.1 - rng.random()) for _ in range(k)), reverse=True)
        t, lp = alts[:], alp[:]
        if where < k:
            t[where], lp[where] = ids[p], lps[p]
        tops.append(t), tlps.append(lp)
    return Response(request_type="generate_until", prompt_sha256="p" * 64, text="t", token_ids=ids, logprobs=lps,
                    top_ids=tops, top_logprobs=tlps)


def _record(i: int, run: int, n: int = 40) -> SampleRecord:
    ll = Response(request_type="loglikelihood", prompt_sha256="q" * 64, continuation=" (A)", loglikelihood=-1.5, is_greedy=True,
                  token_ids=[7], logprobs=[-1.5], top_ids=[[7]], top_logprobs=[[-1.5]])
    empty = Response(request_type="generate_until", prompt_sha256="q" * 64, text="")
    return SampleRecord(benchmark="b", task="t", sample_id=f"t/{i}", doc_id=i, run=run, seed=i * 10 + run, doc_sha256="d" * 64,
                        responses=[_response(n + i, i * 10 + run), ll, empty], metrics={"acc,none": 1.0})


def _expected(resp: Response) -> dict:
    """What the store gives back: everything exact but the alternatives' log-probs, rounded to float16."""
    tops = [[_f32(np.float16(lp)) if t != i or lp != own else lp for t, lp in zip(ts, lps)]
            for ts, lps, i, own in zip(resp.top_ids, resp.top_logprobs, resp.token_ids, resp.logprobs)]
    return {"token_ids": resp.token_ids, "logprobs": resp.logprobs, "top_ids": resp.top_ids, "top_logprobs": tops}


def _got(resp: Response) -> dict:
    return {"token_ids": resp.token_ids, "logprobs": resp.logprobs, "top_ids": resp.top_ids, "top_logprobs": resp.top_logprobs}


def test_tokens_come_back_exactly_and_runner_ups_within_float16(tmp_path):
    store = RecordStore(tmp_path)
    records = [_record(i, r) for i in range(4) for r in range(2)]
    with store.open_for_append("b") as app:
        app.append(records, {"p" * 64: "prompt", "q" * 64: "other"})
    back = store.load("b")
    for want, got in zip(records, back, strict=True):
        assert _got(got.responses[0]) == _expected(want.responses[0])
        assert _got(got.responses[1]) == _got(want.responses[1]) and got.responses[2].token_ids == []
        assert got.responses[0].n_tokens == len(want.responses[0].token_ids)
    # the JSON rows hold no token arrays: those are in the columnar file
    row = json.loads(store.records_path("b").read_text().splitlines()[0])
    assert row["responses"][0]["token_ids"] == [] and row["responses"][0]["n_tokens"] == 40


def test_a_third_party_reads_the_tokens_with_pyarrow_alone(tmp_path):
    import pyarrow as pa

    store = RecordStore(tmp_path)
    records = [_record(i, 0) for i in range(3)]
    with store.open_for_append("b") as app:
        app.append(records, {})
    table = pa.ipc.open_stream(str(store.tokens_path("b"))).read_all()
    counts = [r["n_tokens"] for line in store.records_path("b").read_text().splitlines()
              for r in json.loads(line)["responses"] if r["n_tokens"]]
    assert table.num_rows == sum(counts)
    start = counts[0] + counts[1]  # record 0's two responses with tokens, then record 1's generation
    assert table.column("token_id").to_pylist()[start:start + counts[2]] == records[1].responses[0].token_ids


def test_a_torn_batch_and_rows_without_their_tokens_are_cut_back(tmp_path):
    store = RecordStore(tmp_path)
    records = [_record(i, 0) for i in range(6)]
    with store.open_for_append("b") as app:
        app.append(records[:3], {})
    whole = store.tokens_path("b").stat().st_size
    # a kill after the next batch's tokens and two of its rows were written, the third torn
    tok.append(store.tokens_path("b"), [tok.encode(r) for rec in records[3:] for r in rec.responses if r.token_ids])
    with open(store.records_path("b"), "ab") as fh:
        fh.write(row_line(records[3]) + b"\n" + row_line(records[4]) + b"\n" + row_line(records[5])[:30])
    # and a torn batch after that
    with open(store.tokens_path("b"), "ab") as fh:
        fh.write(tok.batch_message([tok.encode(records[0].responses[0])])[:50])
    with store.open_for_append("b"):
        pass
    assert [r.sample_id for r in store.load("b")] == ["t/0", "t/1", "t/2"]  # the half-written batch is gone whole
    assert store.tokens_path("b").stat().st_size == whole
    with store.open_for_append("b") as app:
        app.append(records[3:], {})
    assert [_got(r.responses[0]) for r in store.load("b")] == [_expected(r.responses[0]) for r in records]


def test_any_changed_token_changes_its_record_hash(tmp_path):
    store = RecordStore(tmp_path)
    records = [_record(i, 0) for i in range(3)]
    with store.open_for_append("b") as app:
        app.append(records, {})
    before = list(store.record_hashes("b"))
    edited = store.load("b")
    edited[1].responses[0].logprobs[5] = _f32(edited[1].responses[0].logprobs[5] - 0.5)
    store.records_path("b").unlink(), store.tokens_path("b").unlink()
    with store.open_for_append("b") as app:
        app.append(edited, {})
    after = list(store.record_hashes("b"))
    assert [a == b for a, b in zip(before, after)] == [True, False, True]  # the rows are unchanged: the tokens tell


def test_records_of_earlier_versions_read_as_they_are(tmp_path):
    rec = _record(0, 0)
    obj = json.loads(rec.model_dump_json())
    obj["schema_version"] = 2
    for r in obj["responses"]:
        r.pop("n_tokens")
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "b.jsonl").write_text(json.dumps(obj) + "\n")
    back = RecordStore(tmp_path).load("b")[0]
    assert back.responses[0].token_ids == rec.responses[0].token_ids and back.responses[0].top_logprobs == rec.responses[0].top_logprobs


def test_more_alternatives_than_the_store_keeps_is_a_clear_error():
    with pytest.raises(ValueError, match="at most 4"):
        tok.encode(_response(3, 0, k=6))
