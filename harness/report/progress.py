"""A progress bar per run of the benchmark being executed (rich), quiet when output is not a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class RunProgress:
    def __init__(self, repeats: int, console: Console | None = None):
        self.repeats = repeats
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
            disable=not self.console.is_terminal,
        )
        self._tasks: list = []

    def __enter__(self) -> RunProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.__exit__(*exc)

    def start_benchmark(self, name: str, n_samples: int, already: dict[int, int]) -> None:
        self._tasks = [
            self._progress.add_task(f"{name} run {r + 1}/{self.repeats}", total=n_samples, completed=already.get(r, 0))
            for r in range(self.repeats)
        ]
        if not self.console.is_terminal:
            self.console.print(f"{name}: {n_samples} samples × {self.repeats} runs", markup=False)

    def advance(self, run: int) -> None:
        self._progress.advance(self._tasks[run])

    def finish_benchmark(self) -> None:
        self._tasks = []
