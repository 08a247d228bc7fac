"""Scoring code answers in the sandbox: stdin/stdout problems and functional (LeetCode-style) problems as
LiveCodeBench poses them, HumanEval-style `check(candidate)` tests, code extraction and pass@k."""

from __future__ import annotations

import base64
import io
import json
import pickle
import re
import zlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from harness.pack.scores import pass_at_k  # noqa: F401  (re-exported: one estimator for summaries and callers)
from harness.sandbox.run import OK, Limits, ProcessSandbox, Result, Sandbox
from harness.scorers.answers import strip_thinking

FENCE = re.compile(r"```(?:python|py|Python3|python3)?\s*\n(.*?)```", re.DOTALL)


def extract_code(text: str) -> str:
    """The last fenced code block of the answer (after any thinking trace), else the answer itself."""
    answer = strip_thinking(text)
    blocks = FENCE.findall(answer)
    return blocks[-1] if blocks else answer


@dataclass
class CodeVerdict:
    passed: bool
    tests_passed: int
    tests_total: int
    status: str  # ok, or the first failure's kind: wrong_answer, runtime_error, timeout, memory, output_limit
    detail: str = ""

    def metrics(self) -> dict[str, float]:
        return {"pass": float(self.passed), "tests_passed_fraction": self.tests_passed / max(self.tests_total, 1)}


def _tokens_equal(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False


def outputs_match(got: str, expected: str) -> bool:
    """LiveCodeBench's comparison: line by line after stripping, numbers compared as decimals token by token."""
    g = [ln.strip() for ln in got.strip().splitlines()]
    e = [ln.strip() for ln in expected.strip().splitlines()]
    if g == e:
        return True
    if len(g) != len(e):
        return False
    for gl, el in zip(g, e):
        gt, et = gl.split(), el.split()
        if len(gt) != len(et) or not all(_tokens_equal(x, y) for x, y in zip(gt, et)):
            return False
    return True


def run_stdin_tests(code: str, tests: list[dict], sandbox: Sandbox | None = None, limits: Limits | None = None) -> CodeVerdict:
    """Each test {"input", "output"} runs the program once; stop at the first failure, as LiveCodeBench does."""
    sandbox = sandbox or ProcessSandbox()
    for i, t in enumerate(tests):
        res = sandbox.run(code, t["input"], limits)
        if res.status != OK:
            return CodeVerdict(False, i, len(tests), res.status, res.stderr[-500:])
        if not outputs_match(res.stdout, t["output"]):
            return CodeVerdict(False, i, len(tests), "wrong_answer", f"test {i}: expected {t['output'][:200]!r}, got {res.stdout[:200]!r}")
    return CodeVerdict(True, len(tests), len(tests), OK)


_DRIVER = '''
import json, sys
{code}
_tests = json.loads({tests!r})
_sol = Solution() if "Solution" in globals() else None
_fn = getattr(_sol, {fn!r}) if _sol is not None else globals()[{fn!r}]
for _i, _t in enumerate(_tests):
    _args = [json.loads(_line) for _line in _t["input"].split("\\n") if _line.strip()]
    _got = _fn(*_args)
    _want = json.loads(_t["output"])
    if isinstance(_got, tuple):
        _got = list(_got)
    if _got != _want:
        print(json.dumps({{"failed": _i, "got": repr(_got)[:200]}}))
        sys.exit(0)
print(json.dumps({{"failed": None}}))
'''


def run_functional_tests(code: str, fn_name: str, tests: list[dict], sandbox: Sandbox | None = None, limits: Limits | None = None) -> CodeVerdict:
    """LeetCode-style: `Solution().<fn_name>(*args)` per test, args one JSON value per input line."""
    sandbox = sandbox or ProcessSandbox()
    res: Result = sandbox.run(_DRIVER.format(code=code, tests=json.dumps(tests), fn=fn_name), "", limits)
    if res.status != OK:
        return CodeVerdict(False, 0, len(tests), res.status, res.stderr[-500:])
    try:
        report = json.loads(res.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return CodeVerdict(False, 0, len(tests), "runtime_error", "no result line (the program printed over it or exited early)")
    if report["failed"] is None:
        return CodeVerdict(True, len(tests), len(tests), OK)
    return CodeVerdict(False, report["failed"], len(tests), "wrong_answer", f"test {report['failed']}: got {report['got']}")


def run_humaneval(prompt: str, completion: str, test: str, entry_point: str, sandbox: Sandbox | None = None, limits: Limits | None = None) -> CodeVerdict:
    """HumanEval: the prompt (signature + docstring), the model's completion, the test code, check(entry_point)."""
    sandbox = sandbox or ProcessSandbox()
    body = completion if completion.lstrip().startswith(("def ", "import ", "from ")) else prompt + completion
    res = sandbox.run(f"{body}\n\n{test}\n\ncheck({entry_point})\n", "", limits)
    ok = res.status == OK
    return CodeVerdict(ok, int(ok), 1, res.status if not ok else OK, res.stderr[-500:])


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module, name):  # no classes, no callables: strings, numbers, lists, dicts only
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def decode_private_tests(blob: str) -> list[dict]:
    """LiveCodeBench ships private tests as base64(zlib(pickle(json string))); unpickled with no classes."""
    if blob.lstrip().startswith("["):
        return json.loads(blob)
    raw = zlib.decompress(base64.b64decode(blob.encode("utf-8")))
    return json.loads(_PlainUnpickler(io.BytesIO(raw)).load())


def encode_private_tests(tests: list[dict]) -> str:
    """The inverse, for sample sets written in LiveCodeBench's schema."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode("utf-8")

