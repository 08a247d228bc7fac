"""The fallbacks, run for real: the harness as an unprivileged user (user namespaces), and with namespaces
off (seccomp and Landlock only; as that user and as root). Each tier must still block the network, writes
outside the work directory and signals to the harness, and leave no process behind.

The harness runs here as a made-up unprivileged uid through the system Python, so root is needed to
start it; elsewhere these tests skip (CI runs as root)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sandbox_procs import processes_of

REPO = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3"
pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.access(PYTHON, os.X_OK), reason="needs root to switch users, and /usr/bin/python3")

# Runs as the harness under test: probes the tier and prints one JSON line.
RUNNER = r'''
import json, os, sys
from harness.sandbox import Limits, ProcessSandbox
cfg = json.loads(sys.argv[1])
sb = ProcessSandbox(namespaces=cfg["namespaces"], workroot=cfg["workroot"])
lim = Limits(wall_s=10.0, cpu_s=5.0, memory_mb=256, processes=8)
probe = {
    "hello": "print('hello')",
    "tcp": "import socket\nsocket.create_connection(('127.0.0.1', %d), timeout=1)\nprint('connected')" % cfg["port"],
    "write": "import os\nfor t in %r:\n    try:\n        open(t, 'a').write('x')\n        print('wrote', t)\n    except OSError:\n        pass\n" % (cfg["targets"],),
    "signal": "import os\nos.kill(%d, 0)\nprint('signalled')" % os.getpid(),
    "escape": "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(30)\nprint('left a child')",
}
out = {}
for name, code in probe.items():
    r = sb.run(code, "", lim)
    out[name] = {"status": r.status.value, "stdout": r.stdout, "stderr": r.stderr[-300:], "layers": list(r.layers), "detail": r.detail, "uid": r.uid}
print(json.dumps(out))
'''

TIERS = {  # name: (uid the harness runs as, namespaces, a layer that proves the tier)
    "user-namespaces": (None, True, "user-namespace"),
    "plain-unprivileged": (None, False, "landlock-fs"),
    "plain-root": (0, False, "unique-uid"),
}


@pytest.fixture
def base():
    d = tempfile.mkdtemp(prefix="sbx-tier-")
    os.chmod(d, 0o755)
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("tier", list(TIERS))
def test_each_tier_contains_the_program(tier, base):
    uid, namespaces, proof = TIERS[tier]
    uid = 300000 + os.getpid() % 50000 if uid is None else uid  # a uid no one else uses
    workroot, shared = base / "work", base / "shared"
    workroot.mkdir()
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    os.chown(workroot, uid, uid)
    sentinel = shared / "sentinel"
    sentinel.write_text("original")
    sentinel.chmod(0o666)
    tag = "sbx-tier-" + secrets.token_hex(5)
    targets = [f"/tmp/{tag}", str(shared / tag), str(sentinel), str(REPO / tag)]
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        cfg = {"namespaces": namespaces, "workroot": str(workroot), "port": server.getsockname()[1], "targets": targets}
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(base)}
        done = subprocess.run([PYTHON, "-c", RUNNER, json.dumps(cfg)], capture_output=True, text=True, timeout=60,
                              env=env, cwd=str(base), user=uid, group=uid, extra_groups=[])
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout.strip().splitlines()[-1])
        connected = _pending(server)
    finally:
        server.close()
    layers = out["hello"]["layers"]
    if proof not in layers:
        if out["hello"]["status"] == "sandbox_error":  # refused rather than run unprotected: that is the contract
            assert "no network or no filesystem isolation" in out["hello"]["detail"]
            pytest.skip(f"{tier}: this kernel lacks it ({out['hello']['detail'][:120]})")
        pytest.skip(f"{tier}: not available here (layers {layers})")
    assert out["hello"]["status"] == "ok" and out["hello"]["stdout"] == "hello\n"
    assert out["tcp"]["status"] == "runtime_error" and not connected
    assert {"network-namespace", "seccomp"} & set(layers)
    # Only the private /tmp of a mount namespace may take a write; nothing reaches the host
    assert all(t.startswith("/tmp/") and "mount-namespace" in layers for t in _written(out["write"]["stdout"]))
    for t in targets[:2] + targets[3:]:
        assert not Path(t).exists(), f"{t} was written on the host"
    assert sentinel.read_text() == "original"
    assert out["signal"]["status"] == "runtime_error" and "signalled" not in out["signal"]["stdout"]
    assert out["escape"]["status"] == "ok"
    time.sleep(0.2)
    for owner in {uid, out["escape"]["uid"]} - {0, None}:
        assert processes_of(owner) == [], "a process of the run outlived it"


def _pending(server: socket.socket) -> bool:
    server.settimeout(0.1)
    try:
        conn, _ = server.accept()
        conn.close()
        return True
    except OSError:
        return False


def _written(stdout: str) -> list[str]:
    return [line.split(" ", 1)[1] for line in stdout.splitlines() if line.startswith("wrote ")]
