"""The local sandbox backend: each run in fresh processes isolated by the launcher (docs/sandbox.md).

The harness side only starts the launcher, feeds stdin, reads at most `output_bytes` of each stream, and
kills the launcher's process group if the supervisor itself overstays; the supervisor enforces the limits.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness.sandbox.contract import DEFAULT_LIMITS, Limits, Result, Status

LAUNCHER = str(Path(__file__).with_name("launcher.py"))
UID_BASE = 0x40000000  # + the launcher's pid: far above real and subordinate (100000+) uids
_BACKSTOP_S = 3.0  # after wall_s, in case the supervisor itself hangs
_SYSTEM_DIRS = {"/", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc", "/proc", "/sys", "/dev", "/tmp", "/var", "/run", "/opt"}
_MEMORY_SIGNS = ("MemoryError", "Cannot allocate memory", "out of memory")


def _default_interpreter() -> str:
    # The program runs as a uid of its own, which cannot enter /root (where pyenv and venvs often live).
    return "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable


def default_hidden_paths(interpreter: str) -> list[str]:
    """The harness's home and working directory (results, caches, datasets with their answers), unless
    they hold the interpreter or are system directories."""
    interp = os.path.realpath(interpreter)
    out = []
    for p in {os.path.realpath(os.path.expanduser("~")), os.path.realpath(os.getcwd())}:
        if p not in _SYSTEM_DIRS and not interp.startswith(p.rstrip("/") + "/"):
            out.append(p)
    return sorted(out)


class ProcessSandbox:
    """Runs programs under the strongest isolation the machine allows (root, user namespaces, or plain;
    see `Result.layers`). With `require_isolation` (the default) a run that would have neither network nor
    filesystem isolation is refused as `sandbox_error` instead of run unprotected."""

    def __init__(self, *, interpreter: str | None = None, namespaces: bool = True, hidden_paths: list[str] | None = None,
                 workroot: str | None = None, require_isolation: bool = True, uid_base: int = UID_BASE):
        self.interpreter = interpreter or _default_interpreter()
        self.namespaces = namespaces
        self.hidden_paths = default_hidden_paths(self.interpreter) if hidden_paths is None else list(hidden_paths)
        self.workroot = workroot
        self.require_isolation = require_isolation
        self.uid_base = uid_base

    def run(self, source: str, stdin: str | bytes = "", limits: Limits | None = None) -> Result:
        limits = limits or DEFAULT_LIMITS
        host_dir = tempfile.mkdtemp(prefix="harness-sbx-", dir=self.workroot)
        try:
            Path(host_dir, "main.py").write_text(source, encoding="utf-8")
            return self._run(host_dir, stdin.encode("utf-8") if isinstance(stdin, str) else stdin, limits)
        finally:
            shutil.rmtree(host_dir, ignore_errors=True)

    def _run(self, host_dir: str, stdin: bytes, limits: Limits) -> Result:
        status_r, status_w = os.pipe()
        cfg = {"limits": limits.to_dict(), "host_dir": host_dir, "program": "main.py", "interpreter": self.interpreter,
               "namespaces": self.namespaces, "hidden": self.hidden_paths, "status_fd": status_w,
               "require_isolation": self.require_isolation, "uid_base": self.uid_base}
        start = time.monotonic()
        try:
            proc = subprocess.Popen([sys.executable, "-I", "-S", LAUNCHER, json.dumps(cfg)], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(status_w,),
                                    start_new_session=True, env={"PATH": "/usr/bin:/bin"})
        except OSError as err:
            os.close(status_r)
            return Result(Status.SANDBOX_ERROR, None, "", "", 0.0, None, detail=f"cannot start the launcher: {err}")
        finally:
            os.close(status_w)
        group = _Group(proc.pid)
        out = _CappedReader(proc.stdout, limits.output_bytes, group.kill)
        err = _CappedReader(proc.stderr, limits.output_bytes, group.kill)
        threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True).start()
        backstop = threading.Timer(limits.wall_s + _BACKSTOP_S, group.kill)
        backstop.start()
        try:
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            group.kill_and_release()  # stragglers in the group, while the zombie launcher still holds its id
            _, wstatus = os.waitpid(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(wstatus)
        finally:
            backstop.cancel()
        wall = time.monotonic() - start
        reports = _read_reports(status_r)
        stdout, stderr = out.result(), err.result()
        return _classify(reports, limits, stdout, stderr, out.overflow, err.overflow, wall, group.killed)


class _Group:
    """Kills the launcher's process group, never after its id may have been reused."""

    def __init__(self, pgid: int):
        self.pgid, self.released, self.killed = pgid, False, False
        self._lock = threading.Lock()

    def kill(self) -> None:
        with self._lock:
            if not self.released:
                self.killed = True
                _killpg(self.pgid)

    def kill_and_release(self) -> None:
        with self._lock:
            _killpg(self.pgid)
            self.released = True


def _killpg(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class _CappedReader:
    """Drains a pipe on a thread, keeping the first `cap` bytes; past that, kills the run once."""

    def __init__(self, pipe, cap: int, on_overflow):
        self.buf, self.cap, self.overflow = bytearray(), cap, False
        self._pipe, self._on_overflow = pipe, on_overflow
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while chunk := self._pipe.read1(65536):
            with self._lock:
                room = self.cap - len(self.buf)
                self.buf += chunk[: max(room, 0)]
                newly = len(chunk) > room and not self.overflow
                self.overflow = self.overflow or len(chunk) > room
            if newly:
                self._on_overflow()

    def result(self) -> tuple[str, bool]:
        # In the plain tier an escaped process may hold the pipe open: do not wait for it.
        self._thread.join(timeout=2.0)
        if not self._thread.is_alive():
            self._pipe.close()
        with self._lock:
            return self.buf.decode("utf-8", errors="replace"), self.overflow


def _feed(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
    except OSError:  # the program exited without reading it all
        pass
    finally:
        try:
            pipe.close()
        except OSError:
            pass


def _read_reports(fd: int) -> dict:
    chunks = []
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    finally:
        os.close(fd)
    reports: dict = {}
    for line in b"".join(chunks).decode("utf-8", errors="replace").splitlines():
        try:
            reports.update(json.loads(line))
        except ValueError:
            reports.setdefault("error", f"unreadable status line: {line[:200]!r}")
    return reports


def _classify(reports: dict, limits: Limits, stdout: tuple[str, bool], stderr: tuple[str, bool], out_over: bool,
              err_over: bool, wall: float, killed_from_outside: bool) -> Result:
    setup, exit_ = reports.get("setup", {}), reports.get("exit") or {}
    code = exit_.get("code")
    common = dict(stdout=stdout[0], stderr=stderr[0], stdout_truncated=out_over, stderr_truncated=err_over,
                  layers=tuple(setup.get("layers", ())), uid=setup.get("uid"),
                  wall_s=round(exit_.get("wall_s") or wall, 4), cpu_s=exit_.get("cpu_s"), max_rss_mb=exit_.get("max_rss_mb"))
    if "error" in reports:
        return Result(Status.SANDBOX_ERROR, code, detail=reports["error"], **common)
    if out_over or err_over:
        return Result(Status.OUTPUT_LIMIT, code, detail=f"more than {limits.output_bytes} bytes of output", **common)
    if not exit_:
        status = Status.TIMEOUT if killed_from_outside else Status.SANDBOX_ERROR
        return Result(status, None, detail="the supervisor did not report (killed from outside)", **common)
    cpu = exit_.get("cpu_s") or 0.0
    if exit_.get("timed_out"):
        return Result(Status.TIMEOUT, code, detail=f"wall clock over {limits.wall_s} s", **common)
    if code == -signal.SIGXCPU or (code == -signal.SIGKILL and cpu >= limits.cpu_s):
        return Result(Status.TIMEOUT, code, detail=f"CPU time over {limits.cpu_s} s", **common)
    if code != 0:
        if any(sign in stderr[0][-4000:] for sign in _MEMORY_SIGNS):
            return Result(Status.MEMORY, code, detail=f"memory over {limits.memory_mb} MB", **common)
        return Result(Status.RUNTIME_ERROR, code, **common)
    return Result(Status.OK, code, **common)
