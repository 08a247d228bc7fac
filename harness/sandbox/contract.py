"""What a sandbox is asked to do and what it reports: limits, statuses, the result, the backend protocol."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Protocol, runtime_checkable


class Status(str, Enum):
    """How a run (or a test of a code task) ended. A `str`, so records hold plain strings."""

    OK = "ok"
    WRONG_ANSWER = "wrong_answer"  # code tasks only: ran fine, output or return value differs
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"  # wall clock or CPU time
    MEMORY = "memory"
    OUTPUT_LIMIT = "output_limit"
    SANDBOX_ERROR = "sandbox_error"  # the sandbox could not be set up: not the program's fault
    NOT_RUN = "not_run"  # code tasks only: a test after the first failure, when stopping early

    def __str__(self) -> str:
        return self.value


class SandboxFailure(RuntimeError):
    """The sandbox itself failed (not the program), and kept failing when retried: the sample-run is
    recorded unscored (`score_error` "sandbox_error: …"), never as a wrong answer."""

    unscored_kind = "sandbox_error"


@dataclass(frozen=True)
class Limits:
    """Per run. CPU time is the limit (LiveCodeBench's 6 s a test); the wall clock is only a generous
    backstop for programs that sleep or block, so a loaded machine does not fail correct programs."""

    wall_s: float = 30.0  # wall clock, then the whole sandbox is killed
    cpu_s: float = 6.0  # RLIMIT_CPU per process (SIGXCPU, then SIGKILL one second later)
    memory_mb: int = 1024  # RLIMIT_AS per process; the stack may grow up to it, as judges allow
    processes: int = 8  # RLIMIT_NPROC for the run's own uid: processes and threads together
    disk_mb: int = 64  # size of the private tmpfs holding the work directory (namespace tiers)
    file_mb: int = 16  # RLIMIT_FSIZE: the largest file the program may write
    open_files: int = 64  # RLIMIT_NOFILE
    output_bytes: int = 1 << 20  # kept per stream; more and the run is killed as output_limit

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value <= 0:
                raise ValueError(f"Limits.{name} must be positive, got {value!r}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Result:
    status: Status
    exit_code: int | None  # the program's; negative: killed by that signal; None: it never finished
    stdout: str  # at most Limits.output_bytes of it (decoded as UTF-8, bad bytes replaced)
    stderr: str
    wall_s: float
    cpu_s: float | None  # user + system time of every process of the run; None when it was killed from outside
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    max_rss_mb: float | None = None
    layers: tuple[str, ...] = ()  # the isolation that held for this run (docs/sandbox.md)
    uid: int | None = None  # the uid the program ran as, when the sandbox switched to its own
    detail: str = ""  # why, for sandbox errors and kills

    @property
    def ok(self) -> bool:
        return self.status == Status.OK

    @property
    def truncated(self) -> bool:
        return self.stdout_truncated or self.stderr_truncated

    def to_dict(self) -> dict:
        """JSON-ready, for evidence records."""
        d = asdict(self)
        d["status"] = self.status.value
        d["layers"] = list(self.layers)
        return d


@runtime_checkable
class Sandbox(Protocol):
    """Runs one untrusted Python program. `ProcessSandbox` is the local backend; a container backend for
    production clusters plugs in behind the same call, and every code task takes any `Sandbox`."""

    def run(self, source: str, stdin: str | bytes = "", limits: Limits | None = None) -> Result: ...


DEFAULT_LIMITS = Limits()
