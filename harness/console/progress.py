"""One progress line per benchmark: done/total over all runs, rate and ETA.

On a terminal it is a live rich bar; off a terminal (a log, a Slurm .out file, CI) a plain line every
`interval` seconds, so a long job never goes silent and never floods the file either.
"""

from __future__ import annotations

import threading
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s" if m else f"{s}s"


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
        self._task = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self.name, self.total, self.done, self.already = "", 0, 0, 0
        self._t0 = time.monotonic()

    def __enter__(self) -> RunProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.finish_benchmark()
        self._progress.__exit__(*exc)

    # -- per benchmark ----------------------------------------------------------------------------------
    def start_benchmark(self, name: str, total: int, already: int = 0) -> None:
        """`total` sample-runs for this benchmark, `already` of them recorded by an earlier, stopped job."""
        self.finish_benchmark()
        self.name, self.total, self.done, self.already = name, total, already, already
        self._t0 = time.monotonic()
        if already:
            self.console.print(f"{name}: resuming: {already} of {total} already recorded", markup=False, highlight=False)
        if self.live:
            self._task = self._progress.add_task(name, total=total, completed=already, rate="")
        else:
            self.console.print(f"{name}: {total - already} to run", markup=False, highlight=False)
            self._stop.clear()
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self.done += n
        if self._task is not None:
            self._progress.update(self._task, advance=n, rate=self._rate_text())

    def finish_benchmark(self) -> None:
        if self._ticker is not None:
            self._stop.set()
            self._ticker.join()
            self._ticker = None
            self.console.print(self.line(final=True), markup=False, highlight=False)
        if self._task is not None:
            self._progress.update(self._task, rate=self._rate_text())
            self._task = None
        self.name = ""

    # -- plain lines ------------------------------------------------------------------------------------
    def _rate(self) -> float:
        elapsed = time.monotonic() - self._t0
        return (self.done - self.already) / elapsed if elapsed > 0 else 0.0

    def _rate_text(self) -> str:
        rate = self._rate()
        return f"{rate:.2f}/s" if rate < 10 else f"{rate:.0f}/s"

    def line(self, *, final: bool = False) -> str:
        with self._lock:
            done, total = self.done, self.total
        elapsed = time.monotonic() - self._t0
        pct = 100.0 * done / total if total else 100.0
        if final:
            return f"{self.name}: {done}/{total} done in {_duration(elapsed)}"
        rate = self._rate()
        eta = _duration((total - done) / rate) if rate > 0 else "?"
        return f"{self.name}: {done}/{total} ({pct:.0f}%) {self._rate_text()} ETA {eta}"

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            self.console.print(self.line(), markup=False, highlight=False)
