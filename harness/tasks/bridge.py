"""The one place that touches lm-eval: load a benchmark's tasks, build its requests, score its responses.

We use lm-eval's task machinery (prompts, few-shot, filters, metrics) but not its evaluator, because the
evaluator cannot give each sample-run its own seed nor record per-sample evidence as it goes. What we take
from `lm_eval.evaluator.evaluate` is its order of operations: build_all_requests → run → apply_filters →
process_results, per sample.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config.spec import BenchmarkSpec
from harness.errors import ConfigError, DataError
from harness.scorers.answers import strip_thinking
from harness.scorers.offline import prepare_offline_nlp
from harness.tasks.data import DatasetResolver
from harness.tasks.index import task_manager_for


def _json_default(obj: Any) -> Any:
    return str(obj)


def doc_sha256(doc: dict) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False, default=_json_default).encode()).hexdigest()


@dataclass
class Sample:
    """One document of one (sub)task with the lm-eval requests it needs."""

    task: str
    doc_id: int
    doc: dict
    instances: list  # lm_eval.api.instance.Instance, sorted by idx
    target: Any

    @property
    def sample_id(self) -> str:
        return f"{self.task}/{self.doc_id}"


def _metric_names(task) -> list[str]:
    return [m["metric"] for m in (task.config.metric_list or []) if isinstance(m, dict) and "metric" in m]


def _filter_names(task) -> list[str]:
    return [f["name"] for f in (task.config.filter_list or []) if isinstance(f, dict)] or ["none"]


class BenchmarkTasks:
    """The lm-eval tasks behind one benchmark (one task, or a group's leaves), ready to run."""

    def __init__(self, spec: BenchmarkSpec, tasks: dict[str, Any]):
        self.spec = spec
        self.tasks = tasks
        self.metric, self.filter = self._primary_metric()

    def _primary_metric(self) -> tuple[str, str]:
        metric, _, filt = self.spec.metric.partition(",")
        for name, task in self.tasks.items():
            metrics, filters = _metric_names(task), _filter_names(task)
            if metric not in metrics:
                raise ConfigError(
                    f"unknown metric {metric!r} for task {name}; it reports {metrics}",
                    file=self.spec.config_file,
                    field=f"suite.benchmarks.{self.spec.name}.metric",
                )
            chosen = filt or ("none" if "none" in filters else filters[0] if len(filters) == 1 else "")
            if chosen not in filters:
                raise ConfigError(
                    f"metric {self.spec.metric!r} names no filter of task {name}; choose one of "
                    + ", ".join(f"'{metric},{f}'" for f in filters),
                    file=self.spec.config_file,
                    field=f"suite.benchmarks.{self.spec.name}.metric",
                )
            agg = task.aggregation().get(metric)
            if getattr(agg, "__name__", "") != "mean":
                raise ConfigError(
                    f"metric {metric!r} of task {name} aggregates by {getattr(agg, '__name__', agg)!r}; the primary "
                    "metric must be a per-sample mean so scores recompute from records",
                    file=self.spec.config_file,
                    field=f"suite.benchmarks.{self.spec.name}.metric",
                )
            filt = chosen
        return metric, filt

    @property
    def metric_key(self) -> str:
        return f"{self.metric},{self.filter}"

    def versions(self) -> dict[str, Any]:
        return {name: (t.config.metadata or {}).get("version") for name, t in self.tasks.items()}

    def lmeval_meta(self) -> dict[str, Any]:
        """Per lm-eval task what lm-eval's results file reports (config, version, n-shot, higher-is-better,
        document count), JSON-safe, for harness.pack.lmeval."""
        from lm_eval.utils import handle_non_serializable

        out = {}
        for name, t in self.tasks.items():
            config = json.loads(json.dumps(dict(t.dump_config()), default=handle_non_serializable))
            out[name] = {"version": (t.config.metadata or {}).get("version"), "num_fewshot": config.get("num_fewshot") or 0,
                         "higher_is_better": dict(t.higher_is_better()), "n_docs": len(t.eval_docs), "config": config}
        return {"tasks": out}

    def samples(
        self,
        *,
        chat: Callable[..., str] | None,
        system_prompt: str | None,
        limit: int | None,
    ) -> list[Sample]:
        """Build every request of every task (prompts rendered, few-shot drawn) and group them per document."""
        out: list[Sample] = []
        for name, task in self.tasks.items():
            task.build_all_requests(
                limit=limit,
                system_instruction=system_prompt,
                apply_chat_template=chat is not None,
                chat_template=chat,
            )
            by_doc: dict[int, list] = defaultdict(list)
            for inst in task.instances:
                by_doc[inst.doc_id].append(inst)
            for doc_id in sorted(by_doc):
                insts = sorted(by_doc[doc_id], key=lambda i: i.idx)
                doc = insts[0].doc
                out.append(Sample(task=name, doc_id=doc_id, doc=doc, instances=insts, target=task.doc_to_target(doc)))
        return out

    def context_field(self, task: str) -> str | None:
        """The document field a (long-context) task declares as its context, `metadata.context_field`."""
        return (self.tasks[task].config.metadata or {}).get("context_field")

    def score(
        self, sample: Sample, responses: list[list[Any]], count_tokens: Callable[[str], int] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Filter and score one sample-run. `responses[i]` holds the answers to instance i (one per repeat):
        strings for generate_until, (loglikelihood, is_greedy) for loglikelihood.
        Returns (what each filter extracted, {"metric,filter": value}). With `count_tokens` (the model's
        tokenizer), a task that declares a context field also gets `context_tokens,none`: its length in tokens."""
        task = self.tasks[sample.task]
        # Reasoning traces are not answers: filters and metrics see the text after </think> (records keep all).
        responses = [[strip_thinking(r) if isinstance(r, str) else r for r in per] for per in responses]
        copies = [
            dataclasses.replace(inst, resps=list(resps), filtered_resps={})
            for inst, resps in zip(sample.instances, responses, strict=True)
        ]
        saved = task._instances  # apply_filters works on the task's instance list: lend it ours, then restore
        task._instances = copies
        try:
            task.apply_filters()
        finally:
            task._instances = saved
        extracted: dict[str, Any] = {}
        metrics: dict[str, Any] = {}
        for filt in copies[0].filtered_resps:
            filtered = [c.filtered_resps[filt] for c in copies]
            if sample.instances[0].request_type == "generate_until":
                extracted[filt] = filtered[0] if len(filtered) == 1 else filtered
            for metric, value in task.process_results(sample.doc, filtered).items():
                metrics[f"{metric},{filt}"] = value
        context = self.context_field(sample.task)
        if count_tokens is not None and context and sample.doc.get(context):
            metrics["context_tokens,none"] = float(count_tokens(str(sample.doc[context])))
        return extracted, metrics


NIA_TASK = "nia_jsonl"


def _apply_date_window(task, window: dict[str, str]) -> None:
    """Keep the evaluation split's documents dated within [start, end) (e.g. LiveCodeBench v6's contests);
    ISO dates compare as strings."""
    split = task.config.test_split
    start, end, fld = window.get("start", ""), window.get("end", "\uffff"), window["field"]
    task.dataset[split] = task.dataset[split].filter(lambda d: start <= str(d[fld]) < end)


def _load_nia(spec: BenchmarkSpec, resolver: DatasetResolver) -> BenchmarkTasks:
    """Any NIA-format file, by path: the agency's private sets plug in with no code change."""
    from harness.nia.schema import file_area
    from harness.nia.task import task_config
    from harness.tasks.data import DatasetUse, sha256_file

    try:
        cfg, items = task_config(spec.name, spec.path, spec.mode or "generate")
    except ValueError as err:
        raise ConfigError(str(err), file=spec.config_file, field=f"suite.benchmarks.{spec.name}.mode") from None
    resolver.used.append(DatasetUse(id=str(spec.path), config=None, source="local", files={str(spec.path): sha256_file(Path(spec.path))}))
    loaded = task_manager_for(()).load(cfg)
    if spec.area is None:  # a file whose items share one area counts for that area (the NIA score weights areas)
        spec = dataclasses.replace(spec, area=file_area(items))
    return BenchmarkTasks(spec, dict(loaded["tasks"]))


def _seed_hidden_randomness() -> None:
    """Some tasks shuffle with the global RNGs while loading (lm-eval's GPQA shuffles choices with `random`);
    seed them as lm-eval's own evaluator does, so every load — the run's and the verifier's — agrees."""
    import random

    import numpy as np

    random.seed(0)
    np.random.seed(1234)


def load_benchmark(spec: BenchmarkSpec, resolver: DatasetResolver) -> BenchmarkTasks:
    """Load the benchmark's tasks with their data (from the hub, a mirror or our samples) and check its metric."""
    prepare_offline_nlp()  # before task code imports nltk-based checkers (IFEval, IFBench)
    _seed_hidden_randomness()
    if spec.task == NIA_TASK:
        return _load_nia(spec, resolver)
    tm = task_manager_for((spec.task,))
    if spec.task not in tm.task_index:
        raise ConfigError(
            f"unknown task {spec.task!r}: neither lm-eval nor tasks/ defines it",
            file=spec.config_file,
            field=f"suite.benchmarks.{spec.name}.task",
        )
    with resolver.active():
        try:
            loaded = tm.load(spec.task)
        except DataError:
            raise
        except Exception as err:  # datasets/lm-eval raise many types; name the benchmark and keep the cause
            raise DataError(
                f"could not load task {spec.task!r}: {type(err).__name__}: {err}",
                file=spec.config_file,
                field=f"suite.benchmarks.{spec.name}.task",
            ) from err
    tasks = dict(sorted(loaded["tasks"].items()))
    if not tasks:
        raise ConfigError(f"task {spec.task!r} has no subtasks", file=spec.config_file, field=f"suite.benchmarks.{spec.name}.task")
    for name, task in tasks.items():
        if spec.date_window:
            _apply_date_window(task, spec.date_window)
        if spec.num_fewshot is not None:  # as lm-eval's simple_evaluate applies --num_fewshot
            task.set_config(key="num_fewshot", value=spec.num_fewshot)
        if task.OUTPUT_TYPE not in ("generate_until", "multiple_choice", "loglikelihood"):
            raise ConfigError(
                f"task {name} asks for {task.OUTPUT_TYPE!r} requests, which the harness does not run",
                file=spec.config_file,
                field=f"suite.benchmarks.{spec.name}.task",
            )
    return BenchmarkTasks(spec, tasks)
