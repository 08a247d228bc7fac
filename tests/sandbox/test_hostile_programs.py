"""Hostile programs, one per test: each is contained, scored as a failure, and leaves the harness process and
the machine as they were. Limits are tight so the shared 2-core machine barely notices."""

from __future__ import annotations

import os
import resource
import secrets
import select
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from sandbox_procs import processes_of

from harness.sandbox import Limits, ProcessSandbox, Status
from harness.sandbox.code_tasks import run_stdin_tests

REPO = Path(__file__).resolve().parents[2]
# Statuses must not depend on how busy the shared machine is: time limits are generous wherever time is not
# what the test is about (the programs end long before them anyway).
TIGHT = Limits(wall_s=10.0, cpu_s=5.0, memory_mb=256, processes=4, disk_mb=16, output_bytes=64 * 1024)


@pytest.fixture
def sandbox(tmp_path):
    workroot = tmp_path / "workroot"
    workroot.mkdir()
    yield ProcessSandbox(workroot=str(workroot))
    assert list(workroot.iterdir()) == [], "the sandbox left its temporary directory behind"


def _fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def _children() -> list[int]:
    me, out = os.getpid(), []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            if int(Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[1]) == me:
                out.append(int(name))
        except (OSError, IndexError, ValueError):
            pass
    return out


@pytest.fixture(autouse=True)
def harness_unharmed():
    """The harness keeps its cwd, limits, file descriptors and thread count, and has no children left."""
    cwd, limits = os.getcwd(), {r: resource.getrlimit(r) for r in (resource.RLIMIT_AS, resource.RLIMIT_NPROC, resource.RLIMIT_CPU)}
    fds, threads, children = _fds(), threading.active_count(), set(_children())
    yield
    deadline = time.monotonic() + 2
    while (threading.active_count() > threads or _fds() != fds) and time.monotonic() < deadline:
        time.sleep(0.05)  # the feeder and reader threads finish as the pipes close
    assert os.getcwd() == cwd
    assert {r: resource.getrlimit(r) for r in limits} == limits
    assert _fds() == fds, "file descriptors leaked"
    assert threading.active_count() <= threads, "threads left running"
    assert set(_children()) - children == set(), "child processes left behind"  # (not a pool's helper started earlier)


class _Recording:
    """Any `Sandbox` plugs into the scorers; this one keeps the last result for the test to inspect."""

    def __init__(self, inner):
        self.inner, self.last = inner, None

    def run(self, source, stdin="", limits=None):
        self.last = self.inner.run(source, stdin, limits)
        return self.last


def _fails(code: str, sandbox, limits=TIGHT, expected="ok\n"):
    """Scores `code` as a one-test stdin task; asserts it scored 0; returns (verdict, the run's result)."""
    rec = _Recording(sandbox)
    verdict = run_stdin_tests(code, [{"input": "", "output": expected}], rec, limits, preamble="")
    assert not verdict.passed and verdict.metrics()["pass"] == 0.0
    return verdict, rec.last


def test_a_well_behaved_program_passes(sandbox):
    """The control: the same path that fails the hostile programs passes an honest one."""
    assert run_stdin_tests("print('ok')", [{"input": "", "output": "ok\n"}], sandbox, TIGHT, preamble="").passed


def test_an_infinite_loop_is_killed_at_the_cpu_limit(sandbox):
    limits = Limits(wall_s=10.0, cpu_s=1.0, memory_mb=256, processes=4)
    verdict, res = _fails("while True:\n    pass\n", sandbox, limits)
    assert verdict.status == res.status == Status.TIMEOUT and "CPU" in res.detail  # not the 10 s wall clock
    assert res.exit_code == -signal.SIGXCPU and 0.5 <= res.cpu_s < 2.5  # rusage and the limit tick apart


def test_sleeping_forever_is_killed_at_the_wall_clock(sandbox):
    verdict, res = _fails("import time\ntime.sleep(60)\n", sandbox, Limits(wall_s=1.0, cpu_s=5.0))
    assert verdict.status == res.status == Status.TIMEOUT and res.exit_code == -9
    assert 1.0 <= res.wall_s < 3.0  # the shared machine may be busy: some slack


def test_a_memory_bomb_hits_the_memory_limit(sandbox):
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code = "x = []\nwhile True:\n    x.append(bytearray(32 * 2**20))\n"
    verdict, res = _fails(code, sandbox)
    assert verdict.status == res.status == Status.MEMORY and "MemoryError" in res.stderr
    assert res.max_rss_mb is not None and 64 < res.max_rss_mb < TIGHT.memory_mb  # it did allocate, up to the cap
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 64 * 1024  # KB: the harness did not grow


def test_a_fork_bomb_is_capped_and_leaves_no_process(sandbox):
    # Every process forks until the kernel refuses, reports how many children it made, then sleeps (a
    # spinning bomb would only burn the shared machine's CPU to prove the same thing).
    code = (
        "import os, time\nmade = 0\nwhile True:\n    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
        "    if pid == 0:\n        made = 0\n        continue\n    made += 1\n"
        "print('made', made, flush=True)\ntime.sleep(60)\n"
    )
    verdict, res = _fails(code, sandbox, Limits(wall_s=1.5, cpu_s=1.0, memory_mb=256, processes=TIGHT.processes))
    assert verdict.status == res.status == Status.TIMEOUT
    made = [int(line.split()[1]) for line in res.stdout.splitlines() if line.startswith("made")]
    assert made, res.stdout + res.stderr  # the bomb did run
    assert 1 + sum(made) <= TIGHT.processes  # every process of the run, the first included
    if res.uid is not None:
        time.sleep(0.2)
        assert processes_of(res.uid) == []


def test_writes_outside_the_work_directory_change_nothing(sandbox, tmp_path):
    tag = "sbx-probe-" + secrets.token_hex(6)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    sentinel = shared / "sentinel.txt"
    sentinel.write_text("original")
    sentinel.chmod(0o666)  # world-writable: only the mount namespace or Landlock can protect it
    readme = REPO / "README.md"
    readme_before = (readme.stat().st_mtime_ns, readme.read_bytes())
    targets = [f"/etc/{tag}", f"/tmp/{tag}", f"/var/tmp/{tag}", f"/dev/shm/{tag}", str(REPO / tag),
               str(Path.home() / tag), str(shared / tag), f"/tmp/work/../../{tag}"]
    code = (
        "import os\nwrote = []\n"
        f"for t in {targets!r}:\n    try:\n        open(t, 'w').write('x')\n        wrote.append(t)\n    except OSError:\n        pass\n"
        f"for t in [{str(sentinel)!r}, {str(readme)!r}]:\n    try:\n        open(t, 'a').close()\n        wrote.append(t)\n    except OSError:\n        pass\n"
        "open('own.txt', 'w').write('mine')\nprint('own-ok' if open('own.txt').read() == 'mine' else 'own-broken')\n"
        "print('wrote all' if len(wrote) == 10 else 'wrote ' + repr(wrote))\n"
    )
    verdict, res = _fails(code, sandbox, expected="own-ok\nwrote all\n")
    assert verdict.status == Status.WRONG_ANSWER and "own-ok" in res.stdout, res.stderr  # its own directory works
    for t in targets:
        assert not Path(t).exists(), f"{t} was written on the host"
    assert sentinel.read_text() == "original"
    assert (readme.stat().st_mtime_ns, readme.read_bytes()) == readme_before
    assert not [p for p in os.listdir("/tmp") if tag in p]


def test_no_network_connection_reaches_a_listening_loopback_port(sandbox):
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(1)  # a completed handshake would wait in the backlog, accepted or not
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    tcp_code = (
        "import socket\n"
        f"s = socket.create_connection(('127.0.0.1', {tcp.getsockname()[1]}), timeout=2)\n"
        "s.sendall(b'hello')\nprint('connected')\n"
    )
    udp_code = f"import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', {udp.getsockname()[1]}))\nprint('sent')\n"
    try:
        verdict, res = _fails(tcp_code, sandbox, expected="connected\n")
        assert verdict.status == res.status == Status.RUNTIME_ERROR and "connected" not in res.stdout
        verdict, res = _fails(udp_code, sandbox, expected="sent\n")
        assert verdict.status == Status.RUNTIME_ERROR
        readable, _, _ = select.select([tcp, udp], [], [], 0.2)
        assert readable == [], "the sandboxed program reached a server on the host"
    finally:
        tcp.close()
        udp.close()


def test_huge_output_is_capped_and_killed_early(sandbox):
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for stream in ("stdout", "stderr"):
        code = f"import sys\nwhile True:\n    sys.{stream}.write('x' * 65536)\n"
        start = time.monotonic()
        verdict, res = _fails(code, sandbox, Limits(wall_s=10.0, cpu_s=5.0, output_bytes=64 * 1024))
        assert verdict.status == res.status == Status.OUTPUT_LIMIT and res.truncated
        assert len(getattr(res, stream)) == 64 * 1024
        assert time.monotonic() - start < 6.0  # killed at the cap, not at the 10 s wall clock
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 64 * 1024


@pytest.mark.skipif(os.geteuid() != 0, reason="the root tier (mount namespace) hides paths; tests/sandbox/test_isolation_tiers.py covers the others")
def test_the_harness_files_are_hidden(tmp_path):
    """Results, caches and datasets under the harness's directories cannot be read: a program looking for the
    answers it is tested against finds an empty directory."""
    sandbox = ProcessSandbox(workroot=str(tmp_path), hidden_paths=[str(REPO)])
    code = f"import os\nprint(os.listdir({str(REPO)!r}))\nprint(open({str(REPO / 'README.md')!r}).read()[:20])\n"
    verdict, res = _fails(code, sandbox, expected="README\n")
    assert res.status == Status.RUNTIME_ERROR and "FileNotFoundError" in res.stderr and "harness" not in res.stdout
    # an empty directory where the repository was; a checkout under /tmp lies under the private /tmp: no directory
    assert res.stdout.startswith("[]") or (REPO.is_relative_to("/tmp") and res.stdout == "")
    assert "hidden-paths" in res.layers


def test_by_default_the_harness_home_and_working_directory_are_hidden():
    hidden = ProcessSandbox().hidden_paths
    assert os.path.realpath(os.getcwd()) in hidden or os.path.realpath(os.getcwd()) in {"/", "/tmp"}
    assert os.path.realpath(os.path.expanduser("~")) in hidden


def test_a_crash_is_a_runtime_error_and_a_broken_interpreter_a_sandbox_error(tmp_path):
    res = ProcessSandbox(workroot=str(tmp_path)).run("raise SystemExit(3)", "", TIGHT)
    assert res.status == Status.RUNTIME_ERROR and res.exit_code == 3
    res = ProcessSandbox(interpreter="/nonexistent/python", workroot=str(tmp_path)).run("print(1)", "", TIGHT)
    assert res.status == Status.SANDBOX_ERROR and "/nonexistent/python" in res.detail
