"""Run an untrusted Python program in the sandbox and report what happened, never more than a cap of output."""

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

OK, RUNTIME_ERROR, TIMEOUT, MEMORY, OUTPUT_LIMIT, SANDBOX_ERROR = "ok", "runtime_error", "timeout", "memory", "output_limit", "sandbox_error"


@dataclass(frozen=True)
class Limits:
    wall_s: float = 10.0
    cpu_s: int = 10
    memory_mb: int = 512
    processes: int = 32
    file_mb: int = 16
    open_files: int = 64
    output_bytes: int = 1 << 20


@dataclass
class Result:
    status: str
    exit_code: int | None
    stdout: str
    stderr: str
    wall_s: float
    truncated: bool = False
    layers: list[str] = field(default_factory=list)


class Sandbox(Protocol):
    """A place to run untrusted code. The process sandbox below runs here; a container backend for
    production clusters can stand in behind the same call."""

    def run(self, source: str, stdin: str = "", limits: Limits | None = None) -> Result: ...


def _interpreter() -> str:
    # The program runs as `nobody`, who cannot enter /root (where pyenv and the venv may live).
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


class _Capped:
    """Reads a pipe to the end, keeping at most `cap` bytes; sets `overflow` when there was more."""

    def __init__(self, pipe, cap: int, on_overflow):
        self.buf, self.cap, self.overflow = bytearray(), cap, False
        self._t = threading.Thread(target=self._read, args=(pipe, on_overflow), daemon=True)
        self._t.start()

    def _read(self, pipe, on_overflow) -> None:
        while chunk := pipe.read(65536):
            room = self.cap - len(self.buf)
            self.buf += chunk[: max(room, 0)]
            if len(chunk) > room and not self.overflow:
                self.overflow = True
                on_overflow()

    def text(self) -> str:
        self._t.join(timeout=5)
        return self.buf.decode("utf-8", errors="replace")


class ProcessSandbox:
    def __init__(self, interpreter: str | None = None, workroot: str | None = None):
        self.interpreter = interpreter or _interpreter()
        self.workroot = workroot

    def run(self, source: str, stdin: str = "", limits: Limits | None = None) -> Result:
        limits = limits or Limits()
        work = Path(tempfile.mkdtemp(prefix="harness-sbx-", dir=self.workroot))
        try:
            (work / "main.py").write_text(source, encoding="utf-8")
            if os.geteuid() == 0:
                os.chown(work, 65534, 65534)
                os.chown(work / "main.py", 65534, 65534)
            return self._run(work, stdin, limits)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _run(self, work: Path, stdin: str, limits: Limits) -> Result:
        r, w = os.pipe()
        cfg = {"cpu_s": limits.cpu_s, "memory_mb": limits.memory_mb, "processes": limits.processes, "file_mb": limits.file_mb,
               "open_files": limits.open_files, "layers_fd": w}
        argv = [sys.executable, "-m", "harness.sandbox.launcher", json.dumps(cfg), str(work), "--", self.interpreter, "-I", "main.py"]
        env = {"PYTHONPATH": str(Path(__file__).resolve().parents[2]), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(w,),
                                start_new_session=True, env=env)
        os.close(w)
        kill = lambda: _killpg(proc)  # noqa: E731
        out, err = _Capped(proc.stdout, limits.output_bytes, kill), _Capped(proc.stderr, limits.output_bytes, kill)
        threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True).start()
        timed_out = False
        try:
            proc.wait(timeout=limits.wall_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill()
            proc.wait()
        wall = time.monotonic() - start
        layers = _read_layers(r)
        stdout, stderr = out.text(), err.text()
        code = proc.returncode
        cpu_killed = code in (-signal.SIGXCPU, 128 + signal.SIGXCPU)
        if timed_out or cpu_killed:
            status = TIMEOUT
        elif out.overflow or err.overflow:
            status = OUTPUT_LIMIT
        elif code == 111 and "sandbox setup failed" in stderr:
            status = SANDBOX_ERROR
        elif code != 0:
            status = MEMORY if "MemoryError" in stderr else RUNTIME_ERROR
        else:
            status = OK
        return Result(status, code, stdout, stderr, wall, out.overflow or err.overflow, layers)


def _feed(pipe, text: str) -> None:
    try:
        pipe.write(text.encode("utf-8"))
        pipe.close()
    except (BrokenPipeError, OSError):
        pass


def _killpg(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _read_layers(fd: int) -> list[str]:
    try:
        data = os.read(fd, 4096)
        return json.loads(data) if data else []
    except (OSError, ValueError):
        return []
    finally:
        os.close(fd)
