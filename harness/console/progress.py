"""One progress line per benchmark: recorded/total over all runs, rate and ETA.

Scoring runs beside generation, so a benchmark's records may still be landing while the next one generates:
each benchmark keeps its own line until its last record is written. On a terminal the lines are live rich
bars; off a terminal (a log, a Slurm .out file, CI) plain lines every `interval` seconds, so a long job never
goes silent and never floods the file either.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s" if m else f"{s}s"


@dataclass
class _Entry:
    total: int
    already: int
    done: int
    t0: float = field(default_factory=time.monotonic)
    task: object = None

    def rate(self) -> float:
        elapsed = time.monotonic() - self.t0
        return (self.done - self.already) / elapsed if elapsed > 0 else 0.0


class RunProgress:
    def __init__(self, console: Console | None = None, *, interval: float = 30.0):
        self.console = console or Console(stderr=True)
        self.interval = interval
        self.live = self.console.is_terminal
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=self.console, transient=False, disable=not self.live,
        )
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> RunProgress:
        self._progress.__enter__()
        if not self.live:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc) -> None:
        for name in list(self._entries):
            self.finish(name)
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        self._progress.__exit__(*exc)

    def _print(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    # -- per benchmark ----------------------------------------------------------------------------------
    def add(self, name: str, total: int, already: int = 0) -> None:
        """`total` sample-runs for this benchmark, `already` of them recorded by an earlier, stopped job."""
        if already:
            self._print(f"{name}: resuming: {already} of {total} already recorded")
        entry = _Entry(total=total, already=already, done=already)
        if self.live:
            entry.task = self._progress.add_task(name, total=total, completed=already, rate="")
        else:
            self._print(f"{name}: {total - already} to run")
        with self._lock:
            self._entries[name] = entry
        if already >= total:
            self.finish(name)

    def advance(self, name: str, n: int = 1) -> None:
        with self._lock:
            entry = self._entries.get(name)
            if entry is None:
                return
            entry.done += n
            complete = entry.done >= entry.total
        if entry.task is not None:
            self._progress.update(entry.task, advance=n, rate=_rate_text(entry.rate()))
        if complete:
            self.finish(name)

    def finish(self, name: str) -> None:
        with self._lock:
            entry = self._entries.pop(name, None)
        if entry is None:
            return
        if entry.task is not None:
            self._progress.update(entry.task, rate=_rate_text(entry.rate()))
        else:
            self._print(f"{name}: {entry.done}/{entry.total} done in {_duration(time.monotonic() - entry.t0)}")

    # -- plain lines ------------------------------------------------------------------------------------
    def lines(self) -> list[str]:
        with self._lock:
            entries = list(self._entries.items())
        out = []
        for name, e in entries:
            pct = 100.0 * e.done / e.total if e.total else 100.0
            rate = e.rate()
            eta = _duration((e.total - e.done) / rate) if rate > 0 else "?"
            out.append(f"{name}: {e.done}/{e.total} ({pct:.0f}%) {_rate_text(rate)} ETA {eta}")
        return out

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            for line in self.lines():
                self._print(line)


def _rate_text(rate: float) -> str:
    return f"{rate:.2f}/s" if rate < 10 else f"{rate:.0f}/s"
