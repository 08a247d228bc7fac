import json

import pytest

from harness.errors import RecordError
from harness.records.schema import Response, SampleRecord
from harness.records.store import RecordStore, read_records


def _record(sample: int, run: int, **kw) -> SampleRecord:
    return SampleRecord(
        benchmark="b",
        task="t",
        sample_id=f"t/{sample}",
        doc_id=sample,
        run=run,
        seed=1000 + sample * 10 + run,
        doc_sha256="d" * 64,
        target="(A)",
        responses=[
            Response(request_type="generate_until", prompt_sha256="p" * 64, text="답: (A)", finish_reason="stop", seed=5,
                     token_ids=[1, 2], logprobs=[-0.1, -0.2], top_ids=[[1, 3], [2, 4]], top_logprobs=[[-0.1, -2.0], [-0.2, -1.5]]),
            Response(request_type="loglikelihood", prompt_sha256="q" * 64, continuation=" (A)", loglikelihood=-1.5, is_greedy=True,
                     token_ids=[7], logprobs=[-1.5], top_ids=[[7]], top_logprobs=[[-1.5]]),
        ],
        extracted={"none": "(A)"},
        metrics={"acc,none": 1.0, "inst,none": [True, False]},
        **kw,
    )


def test_record_round_trips_through_json():
    rec = _record(3, 2)
    again = SampleRecord.model_validate_json(rec.model_dump_json())
    assert again == rec
    assert again.key == ("b", "t/3", 2)


def test_unknown_field_is_rejected():
    obj = json.loads(_record(0, 0).model_dump_json())
    obj["surprise"] = 1
    with pytest.raises(Exception):
        SampleRecord.model_validate(obj)


def test_append_and_reload(tmp_path):
    store = RecordStore(tmp_path)
    with store.open_for_append("b") as app:
        app.append([_record(0, 0), _record(0, 1)], {"p" * 64: "prompt text"})
    with store.open_for_append("b") as app:
        app.append([_record(1, 0)], {"p" * 64: "prompt text"})  # a known prompt is not stored twice
    assert [r.key for r in store.load("b")] == [("b", "t/0", 0), ("b", "t/0", 1), ("b", "t/1", 0)]
    assert store.load_prompts("b") == {"p" * 64: "prompt text"}
    assert len(store.prompts_path("b").read_text().splitlines()) == 1


def test_torn_tail_is_ignored_then_cut_before_appending(tmp_path):
    store = RecordStore(tmp_path)
    with store.open_for_append("b") as app:
        app.append([_record(0, 0)], {})
    path = store.records_path("b")
    with open(path, "a") as fh:
        fh.write(_record(0, 1).model_dump_json()[:40])  # a writer killed mid-line
    assert [r.key for r in store.load("b")] == [("b", "t/0", 0)]
    with store.open_for_append("b") as app:
        app.append([_record(0, 1)], {})
    assert [r.run for r in store.load("b")] == [0, 1]


def test_duplicate_record_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "b.jsonl"
    line = _record(0, 0).model_dump_json() + "\n"
    path.write_text(line + line)
    with pytest.raises(RecordError, match="line 2 repeats sample t/0 run 0"):
        read_records(path)


def test_bad_json_and_bad_schema_name_the_line(tmp_path):
    path = tmp_path / "b.jsonl"
    path.write_text(_record(0, 0).model_dump_json() + "\n{not json\n")
    with pytest.raises(RecordError, match="line 2 is not valid JSON"):
        read_records(path)
    obj = json.loads(_record(0, 0).model_dump_json())
    obj["run"] = "zero"
    path.write_text(json.dumps(obj) + "\n")
    with pytest.raises(RecordError) as err:
        read_records(path)
    assert err.value.field == "run" and "line 1" in str(err.value)
    obj["run"], obj["schema_version"] = 0, 99
    path.write_text(json.dumps(obj) + "\n")
    with pytest.raises(RecordError, match="schema_version 99"):
        read_records(path)


def test_the_flush_interval_comes_from_the_environment_and_is_checked(tmp_path, monkeypatch):
    from harness.errors import RecordError
    from harness.records.store import FLUSH_ENV, RecordStore, flush_seconds

    assert flush_seconds() == 10.0
    monkeypatch.setenv(FLUSH_ENV, "abc")
    with pytest.raises(RecordError, match=FLUSH_ENV):
        flush_seconds()
    monkeypatch.setenv(FLUSH_ENV, "0")  # every append synced at once: a reader sees it before close
    store = RecordStore(tmp_path)
    app = store.open_for_append("b")
    app.append([_record(0, 0)], {})
    assert len(store.records_path("b").read_text().splitlines()) == 1
    app.close()
