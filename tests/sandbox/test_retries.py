"""A sandbox that fails (not the program) is retried, and still failing leaves the sample-run unscored —
counted, never a wrong answer; a timed-out program is run once more. Real sandboxes throughout: one whose
interpreter does not exist fails at setup, as a broken machine would."""

from __future__ import annotations

import pytest

import harness.sandbox.code_tasks as code_tasks
from harness.sandbox.code_tasks import score_humaneval
from harness.sandbox.contract import Limits, SandboxFailure, Status
from harness.sandbox.process_sandbox import ProcessSandbox

PROBLEM = {"prompt": "def add(a, b):\n", "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n", "entry_point": "add"}
LIMITS = Limits(wall_s=20.0, cpu_s=5.0, memory_mb=512)
BROKEN = ProcessSandbox(interpreter="/nonexistent/python3")


class Sequence:
    """Hands each run to the next sandbox of a list (the last one repeats), counting the runs."""

    def __init__(self, *sandboxes):
        self.sandboxes, self.runs = list(sandboxes), 0

    def run(self, source, stdin="", limits=None):
        box = self.sandboxes[min(self.runs, len(self.sandboxes) - 1)]
        self.runs += 1
        return box.run(source, stdin, limits)


def test_a_broken_sandbox_really_fails_at_setup():
    res = BROKEN.run("print(1)", "", LIMITS)
    assert res.status == Status.SANDBOX_ERROR, res


def test_a_sandbox_error_is_retried_and_the_retry_scores():
    seq = Sequence(BROKEN, ProcessSandbox())
    verdict = score_humaneval(PROBLEM, "    return a + b\n", seq, LIMITS)
    assert verdict.passed and seq.runs == 2


def test_a_sandbox_that_keeps_failing_leaves_the_sample_unscored():
    seq = Sequence(BROKEN)
    with pytest.raises(SandboxFailure):
        score_humaneval(PROBLEM, "    return a + b\n", seq, LIMITS)
    assert seq.runs == 1 + code_tasks.SANDBOX_RETRIES


def test_a_timeout_is_run_once_more():
    seq = Sequence(ProcessSandbox())
    verdict = score_humaneval(PROBLEM, "    while True:\n        pass\n", seq, Limits(wall_s=20.0, cpu_s=1.0, memory_mb=512))
    assert verdict.status == Status.TIMEOUT and seq.runs == 2
    wrong = Sequence(ProcessSandbox())
    assert score_humaneval(PROBLEM, "    return a - b\n", wrong, LIMITS).status == Status.WRONG_ANSWER and wrong.runs == 1


def test_through_the_scoring_stage_it_is_recorded_as_a_sandbox_error(monkeypatch):
    """The run path: the task's process_results raises SandboxFailure, the stage records the sample-run
    unscored with the sandbox_error kind, and the summary leaves it out."""
    from harness.pack.summary import benchmark_summary, score_rows
    from harness.scoring.stage import _score
    from harness.benchmarks.base import Sample

    class Task:
        name, version, needs_engine = "t", "1", False

        def score(self, sample, answers, ctx):
            return score_humaneval(PROBLEM, answers[0][0], Sequence(BROKEN), LIMITS)

    class Bench:
        scorer = Task()

    score = _score(Bench(), Sample("t", 0, {}, None, []), [["    return a + b\n"]], {}, None)
    assert score.error.startswith("sandbox_error: ") and not score.metrics
