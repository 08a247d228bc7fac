"""The scoring stage: generated sample-runs in, scored records out, while the engine goes on generating.

Pure scoring (lm-eval's filters and metrics, math-verify, IFBench's checkers, sandboxed code tests) runs in
worker processes, forked once before the engine starts: they inherit the loaded benchmarks and samples, so a
task crosses the process boundary as (benchmark, sample id, answers) only, and a sandboxed test that takes
seconds never holds up generation. A model-graded scorer (a judge) then grades its items in batches on the
engine, in the engine's thread (`grade`). A scorer that raises marks its sample-run unscored, with the
error in the record; it never ends the job.

`harness run` and `harness verify` (its re-run, its re-scoring of recorded responses) use this one stage.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from harness.benchmarks.base import Benchmark, Generated, Sample, Score, ScoreContext, answers_of, doc_sha256
from harness.pack.hashing import sha256_text
from harness.records.schema import SampleRecord, jsonable

# What forked workers inherit: set before the pool starts, read by _score_in_worker.
_STATE: dict[str, Any] = {}


def _score(bench: Benchmark, sample: Sample, answers: list[list[Any]], trace: dict[str, Any], count_tokens) -> Score:
    try:
        score = bench.scorer.score(sample, answers, ScoreContext(trace=trace, count_tokens=count_tokens))
        return Score(extracted=jsonable(score.extracted), metrics=jsonable(score.metrics), error=score.error)
    except Exception as err:  # the task's own code failed on this answer: unscored, recorded, not fatal
        last = traceback.extract_tb(err.__traceback__)[-1:]
        where = f" at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno}" if last else ""
        # an error that names its kind (the sandbox's SandboxFailure: "sandbox_error") is counted as that kind
        return Score(error=f"{getattr(err, 'unscored_kind', type(err).__name__)}: {err}{where}")


def _score_in_worker(bench_name: str, sample_id: str, answers: list[list[Any]], trace: dict[str, Any]) -> Score:
    bench = _STATE["benchmarks"][bench_name]
    return _score(bench, _STATE["samples"][bench_name][sample_id], answers, trace, _STATE["count_tokens"])


def _ready(_: int = 0) -> int:
    return os.getpid()


class ScoringStage:
    """Submit generated sample-runs; collect scored records as they are ready (`ready`), all of them at the
    end (`drain`). `grade` runs the model-graded scorers' queue on an engine."""

    def __init__(self, benchmarks: dict[str, Benchmark], samples: dict[str, dict[str, Sample]], *, workers: int,
                 count_tokens: Callable[[str], int] | None = None):
        self.benchmarks, self.samples, self.count_tokens = benchmarks, samples, count_tokens
        self._pending: list[tuple[str, Generated, Future | Score]] = []
        self._to_grade: dict[str, list[tuple[Generated, Score]]] = defaultdict(list)
        self._pool: ProcessPoolExecutor | None = None
        if workers > 0 and "fork" in multiprocessing.get_all_start_methods():
            _STATE.update(benchmarks=benchmarks, samples=samples, count_tokens=count_tokens)
            self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
            # Fork every worker now, while this process runs no engine threads.
            list(self._pool.map(_ready, range(workers)))

    # -- in ---------------------------------------------------------------------------------------------
    def submit(self, bench: str, g: Generated) -> None:
        answers = answers_of(g.sample, g.responses)
        if self._pool is None:
            result: Future | Score = _score(self.benchmarks[bench], g.sample, answers, g.trace, self.count_tokens)
        else:
            result = self._pool.submit(_score_in_worker, bench, g.sample.sample_id, answers, g.trace)
        self._pending.append((bench, g, result))

    # -- out --------------------------------------------------------------------------------------------
    def ready(self, *, wait: bool = False) -> list[tuple[SampleRecord, dict[str, str]]]:
        """Records whose pure scoring is done (all of them when `wait`), in submission order where it
        matters: items of model-graded scorers wait for `grade` instead."""
        out, keep = [], []
        for bench, g, result in self._pending:
            if isinstance(result, Future):
                if not wait and not result.done():
                    keep.append((bench, g, result))
                    continue
                score = result.result()
            else:
                score = result
            if self.benchmarks[bench].scorer.needs_engine and score.error is None:
                self._to_grade[bench].append((g, score))
            else:
                out.append(self.record(bench, g, score))
        self._pending = keep
        return out

    def grade(self, engine: Any) -> list[tuple[SampleRecord, dict[str, str]]]:
        """Run the model-graded scorers on what their pure part has scored (one batch per benchmark)."""
        out = []
        for bench, items in list(self._to_grade.items()):
            graded = self.benchmarks[bench].scorer.grade(items, engine)
            out += [self.record(bench, g, s) for (g, _), s in zip(items, graded, strict=True)]
        self._to_grade.clear()
        return out

    def ungraded(self) -> list[tuple[SampleRecord, dict[str, str]]]:
        """The model-graded scorers' queue as records of their pure part only (no engine to grade with)."""
        out = [self.record(bench, g, s) for bench, items in self._to_grade.items() for g, s in items]
        self._to_grade.clear()
        return out

    @property
    def waiting(self) -> int:
        return len(self._pending) + sum(len(v) for v in self._to_grade.values())

    def record(self, bench: str, g: Generated, score: Score) -> tuple[SampleRecord, dict[str, str]]:
        """The record of a scored sample-run, and the prompt texts it names (for the prompt store)."""
        b = self.benchmarks[bench]
        prompts = {sha256_text(r.prompt): r.prompt for r in g.sample.requests}
        prompts.update(g.trace.get("prompts") or {})
        prompts.update(score.prompts)
        rec = SampleRecord(
            benchmark=bench, task=g.sample.task, sample_id=g.sample.sample_id, doc_id=g.sample.doc_id, run=g.run, seed=g.seed,
            doc_sha256=doc_sha256(g.sample.doc), target=jsonable(g.sample.target), responses=list(g.responses),
            extracted=jsonable(score.extracted), metrics=jsonable(score.metrics), judge=score.judge,
            scorer={"name": b.scorer.name, "version": b.scorer.version}, score_error=score.error,
        )
        return rec, prompts

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            _STATE.clear()

    def __enter__(self) -> ScoringStage:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def score_records(stage: ScoringStage, items: Sequence[tuple[str, Generated]], engine: Any = None) -> list[SampleRecord]:
    """Score a fixed set of sample-runs through the stage and return their records in the given order
    (the verifier's path: re-run responses, or recorded ones re-scored)."""
    for bench, g in items:
        stage.submit(bench, g)
    done = stage.ready(wait=True)
    done += stage.grade(engine) if engine is not None else stage.ungraded()
    by_key = {(r.benchmark, r.sample_id, r.run): r for r, _ in done}
    return [by_key[(b, g.sample.sample_id, g.run)] for b, g in items]
