"""The sandbox's first process: runs as root, isolates itself, drops privileges, then execs the program.

    python -m harness.sandbox.launcher <limits json> <workdir> -- <argv…>

Layers (each reported in the result's `layers`): a new PID namespace (the whole process tree dies with it),
a network namespace with no interfaces up (no connection anywhere, loopback included), a mount namespace in
which /tmp, /var/tmp, /run/lock and /dev/shm are fresh tmpfs and the work directory is the only bind-mounted
host directory, resource limits (CPU seconds, address space, processes, file size, open files, no core
dumps), and the unprivileged user `nobody` (so the rest of the filesystem is read-only to the program).
Only stdlib: it must start fast and trust nothing.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID = 0x00020000, 0x40000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG = 1
NOBODY = 65534
WORK = "/tmp/work"

_libc = ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    _check(_libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def _limits(lim: dict) -> None:
    mb = 1 << 20
    resource.setrlimit(resource.RLIMIT_CPU, (lim["cpu_s"], lim["cpu_s"] + 1))
    resource.setrlimit(resource.RLIMIT_AS, (lim["memory_mb"] * mb, lim["memory_mb"] * mb))
    resource.setrlimit(resource.RLIMIT_FSIZE, (lim["file_mb"] * mb, lim["file_mb"] * mb))
    resource.setrlimit(resource.RLIMIT_NOFILE, (lim["open_files"], lim["open_files"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (lim["processes"], lim["processes"]))


def _isolate(workdir: str, layers: list[str]) -> None:
    root = os.geteuid() == 0
    if root:
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
        layers += ["mount-namespace", "network-namespace"]
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        fd = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY)
        for d in ("/tmp", "/var/tmp", "/run/lock", "/dev/shm"):
            if os.path.isdir(d):
                _mount("tmpfs", d, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=1777")
        os.makedirs(WORK, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", WORK, None, MS_BIND)
        os.close(fd)
        layers.append("private-tmp")
    os.chdir(WORK if root else workdir)


def _drop_privileges(layers: list[str]) -> None:
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        layers.append("user-nobody")


def main() -> None:
    limits, workdir = json.loads(sys.argv[1]), sys.argv[2]
    argv = sys.argv[sys.argv.index("--") + 1 :]
    layers: list[str] = []
    if os.geteuid() == 0:
        _check(_libc.unshare(CLONE_NEWPID), "unshare pid")
        layers.append("pid-namespace")
    pid = os.fork()
    if pid:  # the launcher: wait for the namespace's init and pass its fate on
        signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGKILL))
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            os.kill(os.getpid(), os.WTERMSIG(status)) if os.WTERMSIG(status) != signal.SIGKILL else os._exit(128 + 9)
        os._exit(os.WEXITSTATUS(status))
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the launcher gone → init gone → every process in the namespace gone
    try:
        _isolate(workdir, layers)
        _drop_privileges(layers)
        _limits(limits)
        layers.append("rlimits")
    except OSError as err:
        os.write(2, f"sandbox setup failed: {err}\n".encode())
        os._exit(111)
    if limits.get("layers_fd"):  # tell the harness which layers hold, then close it before the program runs
        os.write(limits["layers_fd"], json.dumps(layers).encode())
        os.close(limits["layers_fd"])
    env = {"PATH": "/usr/bin:/bin", "HOME": os.getcwd(), "TMPDIR": os.getcwd(), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    os.execve(argv[0], argv, env)


if __name__ == "__main__":
    main()
