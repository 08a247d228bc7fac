"""The run path without an engine: a benchmark loaded from its config over a mirror made of a reference
package's own data, its samples built as `harness run` builds them, and given responses scored through the
scoring stage (worker processes, lm-eval's filters, the task's process_results) into records."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from harness.benchmarks.base import Generated, Sample
from harness.benchmarks.data import DatasetResolver
from harness.benchmarks.factory import build_samples, load_benchmarks
from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.records.schema import Response, SampleRecord
from harness.scoring.stage import ScoringStage, score_records


def mirror(root: Path, dataset_id: str, split: str, source: Path, *, config: str = "default") -> Path:
    """Lay a reference package's data file out as a mirror of `dataset_id` (docs/benchmarks-catalogue.md)."""
    target = root / dataset_id / config / f"{split}.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.suffix == ".gz":
        import gzip

        with gzip.open(source, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        shutil.copyfile(source, target)
    return root


class RunPath:
    """One benchmark of a suite, loaded from `root` as `harness run … data.root=<root>` loads it (our sample
    items when `root` is None)."""

    def __init__(self, benchmark: str, root: Path | None, overrides: Iterable[str] = ()):
        data = [f"data.root={root}", "data.source=mirror"] if root is not None else ["data=sample"]
        spec = build_run_spec(compose("run", ["model=tiny", *data, *overrides, f"+suite.only=[{benchmark}]"]))
        self.name = benchmark
        self.benchmarks = load_benchmarks(spec.benchmarks, DatasetResolver(spec.data, {}))
        self.samples: list[Sample] = build_samples(self.benchmarks, None, None)[benchmark]

    def score(self, pairs: Iterable[tuple[Sample, str]], workers: int = 2) -> list[SampleRecord]:
        """Records of (sample, response text) pairs, in order; each pair gets its own run index so two
        responses to one sample stay two records."""
        items = [(self.name, Generated(s, run, 1, [Response(request_type="generate_until", prompt_sha256="-", text=text)]))
                 for run, (s, text) in enumerate(pairs)]
        with ScoringStage(self.benchmarks, {self.name: {s.sample_id: s for s in self.samples}}, workers=workers) as stage:
            return score_records(stage, items)


def metrics(record: SampleRecord, strip_filter: Callable[[str], str] = lambda k: k.split(",")[0]) -> dict[str, float]:
    return {strip_filter(k): v for k, v in record.metrics.items()}
