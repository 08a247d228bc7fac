"""NIA-format files as benchmarks: any file, by path, so the agency's private sets plug in with no code change.
The file becomes an lm-eval task built in code (harness.nia.task) and runs as an lm-eval benchmark."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from harness.benchmarks.data import DatasetResolver, DatasetUse
from harness.benchmarks.index import task_manager_for
from harness.benchmarks.lmeval import LmEvalBenchmark, seed_hidden_randomness
from harness.config.spec import BenchmarkSpec
from harness.errors import ConfigError
from harness.pack.hashing import sha256_file
from harness.scorers.offline import prepare_offline_nlp


class NiaBenchmark(LmEvalBenchmark):
    kind = "nia"


def load(spec: BenchmarkSpec, resolver: DatasetResolver) -> NiaBenchmark:
    from harness.nia.schema import file_area
    from harness.nia.task import task_config

    prepare_offline_nlp()
    seed_hidden_randomness()
    try:
        cfg, items = task_config(spec.name, spec.path, spec.mode or "generate")
    except ValueError as err:
        raise ConfigError(str(err), file=spec.config_file, field=f"suite.benchmarks.{spec.name}.mode") from None
    resolver.used.append(DatasetUse(id=str(spec.path), config=None, source="local", files={str(spec.path): sha256_file(Path(spec.path))}))
    loaded = task_manager_for(()).load(cfg)
    if spec.area is None:  # a file whose items share one area counts for that area (the NIA score weights areas)
        spec = dataclasses.replace(spec, area=file_area(items))
    if spec.judge is None:
        return NiaBenchmark(spec, dict(loaded["tasks"]))
    from harness.benchmarks.lmeval import _metric_names
    from harness.judge.scorer import VERDICT_METRICS

    # a judged file (refusal sets): the judge's verdict metrics beside the file's own `score`
    return NiaBenchmark(spec, dict(loaded["tasks"]), metric_names=lambda t: [*_metric_names(t), *VERDICT_METRICS])
