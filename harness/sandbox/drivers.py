"""Programs that run inside the sandbox around the model's code. Each reads its job (the code, the inputs, a
nonce) as JSON on stdin, so the driver text is constant; expected outputs never enter the sandbox — the
harness compares outside, so a program cannot read the answers it is tested against."""

from __future__ import annotations

import json
import secrets

# LeetCode-style problems: run the code as a module (as LiveCodeBench does: `__main__` blocks stay quiet),
# take `Solution().<fn>` (or a module-level function when there is no class Solution), call it on each
# test's arguments (one JSON value per line) under a per-test alarm on CPU time (ITIMER_PROF: a loaded
# machine does not fail a correct solution; a sleeper is left to the run's wall clock), and report each
# return value as JSON. An alarm ends the run at once (a bare `except:` in the solution cannot swallow it):
# later tests do not run.
FUNCTIONAL = r'''
import io, json, math, numbers, os, signal, sys, time, types

def _plain(x, depth=0):
    if depth > 200:
        raise TypeError("nested too deep")
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        return float(x)
    if isinstance(x, list):
        return [_plain(v, depth + 1) for v in x]
    if isinstance(x, dict) and all(isinstance(k, str) for k in x):
        return {k: _plain(v, depth + 1) for k, v in x.items()}
    raise TypeError(type(x).__name__)

def _main():
    job = json.loads(sys.stdin.read())
    sys.stdin = io.StringIO("")
    report = os.fdopen(os.dup(1), "w")
    sys.stdout = sys.stderr  # the solution's prints must not mix with the report
    nonce, per_test, current = job["nonce"], job["per_test_s"], [None]

    def emit(**kw):
        report.write(nonce + json.dumps(kw) + "\n")
        report.flush()

    def on_alarm(*_):
        emit(i=current[0], status="timeout", error="over %s s of CPU time" % per_test)
        os._exit(0)

    signal.signal(signal.SIGPROF, on_alarm)
    module = types.ModuleType("solution")
    try:
        signal.setitimer(signal.ITIMER_PROF, per_test)
        exec(compile(job["code"], "solution.py", "exec"), module.__dict__)
        target = module.Solution() if "class Solution" in job["code"] else module
        fn = getattr(target, job["fn_name"])
        signal.setitimer(signal.ITIMER_PROF, 0)
    except BaseException as e:
        signal.setitimer(signal.ITIMER_PROF, 0)
        emit(i=None, status="runtime_error", error=repr(e)[:500])
        return
    for i, text in enumerate(job["inputs"]):
        current[0] = i
        start = time.perf_counter()
        try:
            args = [json.loads(line) for line in text.split("\n")]
            signal.setitimer(signal.ITIMER_PROF, per_test)
            got = fn(*args)
            signal.setitimer(signal.ITIMER_PROF, 0)
        except BaseException as e:
            signal.setitimer(signal.ITIMER_PROF, 0)
            emit(i=i, status="runtime_error", error=repr(e)[:500])
            if job["stop"]:
                return
            continue
        took = round(time.perf_counter() - start, 4)
        if isinstance(got, tuple):
            got = list(got)
        try:
            emit(i=i, status="ok", value=_plain(got), time_s=took)
        except (TypeError, ValueError, RecursionError):
            emit(i=i, status="ok", unjsonable=(type(got).__name__ + ": " + repr(got))[:300], time_s=took)

_main()
'''

def new_nonce() -> str:
    return "@@harness-" + secrets.token_hex(8) + "@@"


def job(**fields) -> str:
    return json.dumps(fields)
