"""Protocol conformance (pure: the pack's config and spec.json against the shipped configs)."""

from __future__ import annotations

import copy
from dataclasses import asdict

import pytest

from harness.config.catalog import benchmarks_in_section
from harness.errors import ConfigError
from harness.verify.protocol import _shipped, deviations, load_protocol


def _conforming(suite: str) -> tuple[dict, dict]:
    shipped = _shipped()
    names = benchmarks_in_section(suite)
    spec = {"repeats": 5, "max_samples": None, "suite": suite,
            "benchmarks": {n: {"task": shipped[n].task, "metric": shipped[n].metric, "generation": asdict(shipped[n].generation)} for n in names}}
    config = {"run": {"repeats": 5, "per_benchmark": {}},
              "suite": {"name": suite, "benchmarks": {n: {"num_fewshot": shipped[n].num_fewshot,
                                                           "datasets": [{"id": d.id, "revision": d.revision} for d in shipped[n].datasets]}
                                                       for n in names}}}
    return config, spec


@pytest.mark.parametrize("suite", ["nia", "global_common"])
def test_a_pack_run_as_shipped_follows_phase1(suite):
    config, spec = _conforming(suite)
    assert deviations(config, spec, load_protocol("phase1")) == []


def test_every_departure_is_named():
    config, spec = _conforming("global_common")
    protocol = load_protocol("phase1")
    cases = {
        "3 runs, the protocol asks 5": lambda c, s: s.update(repeats=3),
        "a sample limit of 2": lambda c, s: s.update(max_samples=2),
        "gpqa_diamond: generation temperature 0.0": lambda c, s: s["benchmarks"]["gpqa_diamond"]["generation"].update(temperature=0.0),
        "mmlu_pro: task 'mmlu_pro_hinted'": lambda c, s: s["benchmarks"]["mmlu_pro"].update(task="mmlu_pro_hinted"),
        "without ['ifeval']": lambda c, s: s["benchmarks"].pop("ifeval"),
        "run.per_benchmark": lambda c, s: c["run"].update(per_benchmark={"gpqa_diamond": {"max_tokens": 10}}),
        "suite 'mine' is not one of": lambda c, s: s.update(suite="mine"),
        "my_bench: not a benchmark the protocol knows": lambda c, s: s["benchmarks"].update(my_bench={"task": "x", "metric": "acc"}),
        "dataset Idavidrein/gpqa at revision 'abc'": lambda c, s: c["suite"]["benchmarks"]["gpqa_diamond"]["datasets"][0].update(revision="abc"),
    }
    for expected, edit in cases.items():
        c, s = copy.deepcopy(config), copy.deepcopy(spec)
        edit(c, s)
        found = deviations(c, s, protocol)
        assert len(found) == 1 and expected in found[0], (expected, found)


def test_an_unknown_protocol_is_a_config_error():
    with pytest.raises(ConfigError, match="no protocol 'phase9'"):
        load_protocol("phase9")
