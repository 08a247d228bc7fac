"""A quiet console for a command: what engines and libraries print goes to a log file, the terminal shows
the harness's own lines.

vLLM, lm-eval, transformers and the CPU kernels write through Python logging, `warnings`, tqdm bars and
plain C `write(2)`s. Only redirecting the process's file descriptors 1 and 2 catches all of them, so that is
what `Capture` does; the harness keeps private duplicates of the original terminal for its own console.
With `verbose`, nothing is redirected and the log file still receives Python logging.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from pathlib import Path
from typing import TextIO

from rich.console import Console

from harness.paths import cache_dir

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _flush_std() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass


class Capture:
    """Context manager: fds 1 and 2 (and Python logging) go to `log_path` until exit.

    `out` (stdout) and `err` (stderr) are rich consoles on the original terminal, for the harness's own
    lines, progress and tables. `move_to(dir)` carries the log into a directory found later (the pack)."""

    def __init__(self, command: str, *, verbose: bool = False, log_dir: Path | None = None):
        self.command = command
        self.verbose = verbose
        stamp = time.strftime("%Y%m%dT%H%M%S")
        self.log_path = Path(log_dir or cache_dir() / "logs") / f"{command}-{stamp}-{os.getpid()}.log"
        self._saved: dict[int, int] = {}
        self._log_fd: int | None = None
        self._handler: logging.Handler | None = None
        self._files: list[TextIO] = []
        self.out: Console = Console(soft_wrap=True)
        self.err: Console = Console(stderr=True, soft_wrap=True)

    # -- life cycle -------------------------------------------------------------------------------------
    def __enter__(self) -> Capture:
        self._open_log(self.log_path)
        if not self.verbose:
            _flush_std()
            for fd in (1, 2):
                self._saved[fd] = os.dup(fd)
            self.out = self._console(self._saved[1])
            self.err = self._console(self._saved[2])
            self._redirect()
        root = logging.getLogger()
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
        logging.captureWarnings(True)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is not None and isinstance(exc, Exception):
            # The traceback goes into this command's log; the error boundary names the file (crash.py).
            import traceback

            from harness.errors import HarnessError

            if not isinstance(exc, HarnessError):
                self.write_log("".join(traceback.format_exception(exc_type, exc, tb)))
            exc.harness_log = self.log_path  # type: ignore[attr-defined]
        _flush_std()
        for fd, saved in self._saved.items():
            os.dup2(saved, fd)
        for f in self._files:
            try:
                f.flush()
            except (OSError, ValueError):
                pass
        self._close_log()
        logging.captureWarnings(False)
        self._saved.clear()

    # -- the log ----------------------------------------------------------------------------------------
    def move_to(self, directory: Path) -> Path:
        """Continue the log inside `directory` (created), keeping what was written so far."""
        target = Path(directory) / self.log_path.name
        if target == self.log_path:
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        _flush_std()
        old = self.log_path
        self._close_log()
        with open(old, "rb") as src, open(target, "ab") as dst:
            dst.write(src.read())
        old.unlink(missing_ok=True)  # our own temporary log, nobody else's file
        self._open_log(target)
        if self._saved:
            self._redirect()
        return target

    def _open_log(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = path
        self._log_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._handler = logging.StreamHandler(os.fdopen(os.dup(self._log_fd), "a", buffering=1, encoding="utf-8", errors="replace"))
        self._handler.setFormatter(logging.Formatter(_FORMAT))
        self._handler.setLevel(logging.DEBUG if self.verbose else logging.INFO)
        logging.getLogger().addHandler(self._handler)

    def _close_log(self) -> None:
        if self._handler is not None:
            logging.getLogger().removeHandler(self._handler)
            self._handler.close()
            self._handler = None
        if self._log_fd is not None:
            os.close(self._log_fd)
            self._log_fd = None

    def _redirect(self) -> None:
        assert self._log_fd is not None
        _flush_std()
        os.dup2(self._log_fd, 1)
        os.dup2(self._log_fd, 2)

    def _console(self, fd: int) -> Console:
        stream = os.fdopen(os.dup(fd), "w", buffering=1, encoding="utf-8", errors="replace")
        self._files.append(stream)
        # rich decides colour and live display from the stream: the original terminal, not the log.
        return Console(file=stream, soft_wrap=True, width=None if stream.isatty() else 160)  # a long message is one line

    # -- the harness's own lines ------------------------------------------------------------------------
    def say(self, message: str) -> None:
        """One line for the person at the terminal (stderr, so stdout stays the table), also logged."""
        self.err.print(message, markup=False, highlight=False)
        logging.getLogger("harness").info(message)

    def write_log(self, text: str) -> None:
        """Append text (a traceback) to the log file directly."""
        with open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")


class Plain:
    """The same interface with nothing captured: library use and tests that call run_job directly."""

    verbose = True
    log_path: Path | None = None

    def __init__(self) -> None:
        self.out = Console(soft_wrap=True)
        self.err = Console(stderr=True, soft_wrap=True)

    def say(self, message: str) -> None:
        self.err.print(message, markup=False, highlight=False)

    def move_to(self, directory: Path) -> Path | None:
        return None

    def write_log(self, text: str) -> None:
        pass


def quiet_libraries() -> None:
    """Environment switches that make engines and libraries less chatty wherever they are read."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
