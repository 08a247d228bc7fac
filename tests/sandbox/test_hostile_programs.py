"""Hostile programs are contained, each scored as a failure; the harness and the machine are unharmed."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from harness.sandbox import Limits, ProcessSandbox
from harness.sandbox.run import MEMORY, OK, OUTPUT_LIMIT, RUNTIME_ERROR, TIMEOUT

LIMITS = Limits(wall_s=3, cpu_s=2, memory_mb=256, processes=16, output_bytes=64 * 1024)


@pytest.fixture(scope="module")
def sandbox():
    return ProcessSandbox()


def _nobody_processes() -> int:
    return sum(1 for p in Path("/proc").iterdir() if p.name.isdigit() and _uid(p) == 65534)


def _uid(p: Path) -> int | None:
    try:
        return p.stat().st_uid
    except OSError:
        return None


def test_a_good_program_runs(sandbox):
    res = sandbox.run("print(input()[::-1])", "harness\n", LIMITS)
    assert res.status == OK and res.stdout == "ssenrah\n"
    if os.geteuid() == 0:
        assert {"pid-namespace", "network-namespace", "mount-namespace", "user-nobody", "rlimits"} <= set(res.layers)


def test_infinite_loop_is_killed_at_the_time_limit(sandbox):
    t = time.monotonic()
    res = sandbox.run("while True:\n    pass\n", "", LIMITS)
    assert res.status == TIMEOUT and time.monotonic() - t < LIMITS.wall_s + 3


def test_sleeping_forever_is_killed_at_the_wall_clock(sandbox):
    res = sandbox.run("import time\ntime.sleep(100)\n", "", LIMITS)
    assert res.status == TIMEOUT and res.wall_s < LIMITS.wall_s + 2


def test_memory_bomb(sandbox):
    res = sandbox.run("x = []\nwhile True:\n    x.append(bytearray(50 * 2**20))\n", "", LIMITS)
    assert res.status in (MEMORY, RUNTIME_ERROR) and res.status != OK
    assert "MemoryError" in res.stderr


def test_fork_bomb_is_contained_and_leaves_nothing_behind(sandbox):
    before = _nobody_processes()
    res = sandbox.run("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n", "", LIMITS)
    assert res.status == TIMEOUT
    time.sleep(0.5)
    assert _nobody_processes() <= before  # the PID namespace took every fork with it


def test_a_write_outside_the_work_directory_fails_and_changes_nothing(sandbox, tmp_path):
    targets = ["/etc/harness_sandbox_probe", "/tmp/harness_sandbox_probe", str(Path(__file__).resolve().parents[2] / "harness_sandbox_probe")]
    src = "import sys\nfor t in sys.argv[1:] or %r:\n    try:\n        open(t, 'w').write('x')\n        print('wrote', t)\n    except OSError as e:\n        print('denied', t)\n" % (targets,)
    res = sandbox.run(src, "", LIMITS)
    assert res.status == OK
    for t in targets:
        assert not Path(t).exists(), f"{t} was written on the host"
    assert "wrote /etc" not in res.stdout


def test_no_network_not_even_loopback(sandbox):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    hit = []
    srv.settimeout(4)
    threading.Thread(target=lambda: hit.append(srv.accept()), daemon=True).start()
    res = sandbox.run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\nprint('connected')\n", "", LIMITS)
    time.sleep(0.2)
    srv.close()
    assert res.status == RUNTIME_ERROR and "connected" not in res.stdout and not hit


def test_huge_output_is_capped(sandbox):
    res = sandbox.run("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", "", LIMITS)
    assert res.status == OUTPUT_LIMIT and res.truncated
    assert len(res.stdout) <= LIMITS.output_bytes


def test_a_crash_is_a_runtime_error(sandbox):
    res = sandbox.run("raise SystemExit(3)", "", LIMITS)
    assert res.status == RUNTIME_ERROR and res.exit_code == 3
