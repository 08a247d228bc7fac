"""The NIA format: a good file loads; every kind of malformed line stops the job naming the file and line."""

from __future__ import annotations

import json

import pytest
from nia_items import GOOD, write_jsonl

from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.errors import ConfigError, DataError
from harness.nia.schema import file_area, load_items
from harness.benchmarks.factory import load_benchmark
from harness.benchmarks.data import DatasetResolver

BAD_LINE = 9  # GOOD has 8 lines; the bad one follows


def item(**kw):
    return json.dumps({"id": "x", "area": "math", "question": "?", "scorer": "math", "answer": "1"} | kw, ensure_ascii=False) + "\n"


def test_a_good_file_loads(good_file):
    items = load_items(good_file)
    assert [i["id"] for i in items] == ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "8"]  # a numeric id is kept as text
    assert items[7]["metadata"] == {"category": "age"} and items[7]["ambiguous"] is True
    assert file_area(items) is None and file_area(items[:1]) == "math"


@pytest.mark.parametrize("bad, field", [
    ("{not json\n", f"line {BAD_LINE}"),
    ("[1, 2]\n", f"line {BAD_LINE}"),                                                        # not an object
    (item(area="cooking"), f"line {BAD_LINE}: area"),
    (item(scorer="guess"), f"line {BAD_LINE}: scorer"),
    (json.dumps({"id": "x", "area": "math", "scorer": "math", "answer": "1"}) + "\n", f"line {BAD_LINE}: question"),
    (item(question="  "), f"line {BAD_LINE}: item"),                                          # empty question
    (item(id=None), f"line {BAD_LINE}: id"),
    (item(scorer="choice", choices=["a", "b"], answer="C"), f"line {BAD_LINE}: item"),          # answer outside the choices
    (item(scorer="choice", choices=["a", "b"], answer=0), f"line {BAD_LINE}: item"),            # numbers count from 1
    (item(scorer="choice", choices=["only one"], answer="A"), f"line {BAD_LINE}: item"),
    (item(scorer="choice", choices=["a", "b"], answer=None), f"line {BAD_LINE}: item"),
    (item(choices="a, b", scorer="choice"), f"line {BAD_LINE}: choices"),                      # choices not a list
    (item(answer=None), f"line {BAD_LINE}: item"),                                            # math needs an answer
    (item(scorer="bias", choices=["a", "b", "모름"], answer="C"), f"line {BAD_LINE}: item"),       # bias without biased_answer
    (item(scorer="bias", choices=["a", "b", "모름"], answer="C", biased_answer="D", ambiguous=True), f"line {BAD_LINE}: item"),
    (item(ambiguous=False), f"line {BAD_LINE}: item"),                                        # bias fields on a math item
    (item(metadata=["not", "a", "dict"]), f"line {BAD_LINE}: metadata"),
    (item(id="q1"), f"line {BAD_LINE}: id"),                                                  # repeats line 1
    (item(extra=1), f"line {BAD_LINE}: extra"),
])
def test_each_malformed_line_is_named(tmp_path, bad, field):
    path = write_jsonl(tmp_path / "set.jsonl", GOOD, [bad])
    with pytest.raises(DataError) as err:
        load_items(path)
    assert err.value.file == str(path) and err.value.field == field
    assert f"file {path}, field {field}:" in str(err.value)  # what the CLI prints


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(DataError, match="no items"):
        load_items(write_jsonl(tmp_path / "empty.jsonl", [], ["\n"]))
    with pytest.raises(DataError, match="not found"):
        load_items(tmp_path / "absent.jsonl")


def _spec(path, *extra):
    cfg = compose("run", ["model=tiny", "suite=sample", "+suite.only=[private]", "+suite.benchmarks.private.kind=nia", "+suite.benchmarks.private.task=nia_jsonl",
                          f"+suite.benchmarks.private.path={path}", "+suite.benchmarks.private.metric=score", *extra])
    return build_run_spec(cfg)


def _load(path, *extra):
    spec = _spec(path, *extra)
    return load_benchmark(spec.benchmarks[0], DatasetResolver(spec.data, {}))


def test_multiple_choice_mode_takes_letter_items_only(tmp_path, good_file):
    letters = write_jsonl(tmp_path / "mc.jsonl", [i for i in GOOD if i["scorer"] in ("choice", "bias")])
    bench = _load(letters, "+suite.benchmarks.private.mode=multiple_choice")
    samples = bench.samples(chat=None, system_prompt=None, limit=None)
    assert bench.metric_key == "score,none" and len(samples) == 3  # one metric name in both modes
    assert all(len(s.requests) == len(s.doc["choices"]) for s in samples)  # one log-likelihood per choice
    with pytest.raises(ConfigError, match="multiple_choice mode scores choice and bias items only"):
        _load(good_file, "+suite.benchmarks.private.mode=multiple_choice")


def test_a_file_of_one_area_counts_for_it(tmp_path):
    path = write_jsonl(tmp_path / "math.jsonl", [i for i in GOOD if i["area"] == "math"])
    assert _load(path).spec.area == "math"
    assert _load(path, "+suite.benchmarks.private.area=knowledge").spec.area == "knowledge"  # the config's word wins


def test_a_missing_path_or_bad_mode_is_a_config_error(tmp_path):
    spec = build_run_spec(compose("run", ["model=tiny", "suite=sample", "+suite.only=[p]", "+suite.benchmarks.p.kind=nia",
                                          "+suite.benchmarks.p.task=nia_jsonl", "+suite.benchmarks.p.metric=score"]))
    with pytest.raises(ConfigError, match="path") as err:  # when the benchmark loads, before any model
        load_benchmark(spec.benchmarks[0], DatasetResolver(spec.data, {}))
    assert err.value.field == "suite.benchmarks.p.path"
    with pytest.raises(ConfigError, match="mode"):
        _spec(tmp_path / "x.jsonl", "+suite.benchmarks.private.mode=guess")


def test_a_malformed_private_file_stops_the_job_before_the_model(tmp_path):
    from harness.cli import main

    path = write_jsonl(tmp_path / "bad.jsonl", GOOD, ["{oops\n"])
    code = main(["run", "model=tiny", "suite=sample", f"out={tmp_path / 'p'}", "+suite.only=[private]",
                 "+suite.benchmarks.private.kind=nia", "+suite.benchmarks.private.task=nia_jsonl", f"+suite.benchmarks.private.path={path}", "+suite.benchmarks.private.metric=score"])
    assert code == 2 and not (tmp_path / "p").exists()
