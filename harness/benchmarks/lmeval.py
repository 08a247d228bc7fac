"""Benchmarks backed by lm-eval tasks: lm-eval's task machinery (prompts, few-shot, filters, metrics), not its
evaluator, because the evaluator cannot give each sample-run its own seed nor record per-sample evidence as
it goes. What we take from `lm_eval.evaluator.evaluate` is its order of operations: build_all_requests → run →
apply_filters → process_results, per sample.

This module and harness.benchmarks.nia are the only ones that touch lm-eval's task objects.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from harness.benchmarks.base import Request, Sample, Score, ScoreContext
from harness.benchmarks.data import DatasetResolver
from harness.benchmarks.index import task_manager_for
from harness.config.spec import BenchmarkSpec
from harness.errors import ConfigError, DataError
from harness.scorers.answers import split_thinking_raw
from harness.scorers.offline import prepare_offline_nlp

SCORER_VERSION = "1"  # bump when what the scorer hands lm-eval changes (recorded per record)


def _metric_names(task) -> list[str]:
    return [m["metric"] for m in (task.config.metric_list or []) if isinstance(m, dict) and "metric" in m]


def _filter_names(task) -> list[str]:
    return [f["name"] for f in (task.config.filter_list or []) if isinstance(f, dict)] or ["none"]


class LmEvalScorer:
    """lm-eval's filters and `process_results` on one sample-run, given what the benchmark's `answer` setting
    says: by default the thinking trace removed (by `split_thinking_raw`'s rule only: the text after the last
    `</think>`, not otherwise changed), or the output as generated (`whole_output`)."""

    needs_engine = False

    def __init__(self, tasks: dict[str, Any], context_fields: dict[str, str | None], answer: str = "after_thinking"):
        self.tasks = tasks
        self.context_fields = context_fields
        self.answer = answer
        self.name = "lm_eval"
        self.version = SCORER_VERSION

    def score(self, sample: Sample, answers: list[list[Any]], ctx: ScoreContext) -> Score:
        task = self.tasks[sample.task]
        if self.answer == "after_thinking":
            answers = [[split_thinking_raw(a)[0] if isinstance(a, str) else a for a in per] for per in answers]
        copies = [dataclasses.replace(inst, resps=list(resps), filtered_resps={})
                  for inst, resps in zip(sample.payload, answers, strict=True)]
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
            if sample.payload[0].request_type == "generate_until":
                extracted[filt] = filtered[0] if len(filtered) == 1 else filtered
            for metric, value in task.process_results(sample.doc, filtered).items():
                metrics[f"{metric},{filt}"] = value
        context = self.context_fields.get(sample.task)
        if ctx.count_tokens is not None and context and sample.doc.get(context):
            metrics["context_tokens,none"] = float(ctx.count_tokens(str(sample.doc[context])))
        return Score(extracted=extracted, metrics=metrics)

    def grade(self, items, engine):  # pure: nothing to do beside the engine
        return [score for _, score in items]


class LmEvalBenchmark:
    """One benchmark made of one lm-eval task or a group's leaves."""

    rerunnable = True
    kind = "lm_eval"

    def __init__(self, spec: BenchmarkSpec, tasks: dict[str, Any], *, metric_names: Callable[[Any], list[str]] = _metric_names):
        self.spec = spec
        self.tasks = tasks
        self.scorer: Any = LmEvalScorer(tasks, {n: (t.config.metadata or {}).get("context_field") for n, t in tasks.items()},
                                        spec.answer)
        self.metric_key = self._primary_metric(metric_names)

    @property
    def name(self) -> str:
        return self.spec.name

    def _error(self, message: str) -> ConfigError:
        return ConfigError(message, file=self.spec.config_file, field=f"suite.benchmarks.{self.spec.name}.metric")

    def _primary_metric(self, metric_names: Callable[[Any], list[str]]) -> str:
        metric, _, filt = self.spec.metric.partition(",")
        for name, task in self.tasks.items():
            metrics, filters = metric_names(task), _filter_names(task)
            if metric not in metrics:
                raise self._error(f"unknown metric {metric!r} for task {name}; it reports {metrics}")
            chosen = filt or ("none" if "none" in filters else filters[0] if len(filters) == 1 else "")
            if chosen not in filters:
                raise self._error(f"metric {self.spec.metric!r} names no filter of task {name}; choose one of "
                                  + ", ".join(f"'{metric},{f}'" for f in filters))
            agg = task.aggregation().get(metric)
            if metric in _metric_names(task) and getattr(agg, "__name__", "") != "mean":
                raise self._error(f"metric {metric!r} of task {name} aggregates by {getattr(agg, '__name__', agg)!r}; the "
                                  "primary metric must be a per-sample mean so scores recompute from records")
            filt = chosen
        return f"{metric},{filt}"

    def samples(self, *, chat: Callable[..., str] | None, system_prompt: str | None, limit: int | None) -> list[Sample]:
        """Build every request of every task (prompts rendered, few-shot drawn) and group them per document."""
        out: list[Sample] = []
        for name, task in self.tasks.items():
            task.build_all_requests(limit=limit, system_instruction=system_prompt, apply_chat_template=chat is not None, chat_template=chat)
            by_doc: dict[int, list] = defaultdict(list)
            for inst in task.instances:
                by_doc[inst.doc_id].append(inst)
            for doc_id in sorted(by_doc):
                insts = sorted(by_doc[doc_id], key=lambda i: i.idx)
                doc = insts[0].doc
                out.append(Sample(task=name, doc_id=doc_id, doc=doc, target=task.doc_to_target(doc),
                                  requests=[_request(i) for i in insts], payload=insts))
        return out

    def solver(self, *, base_seed: int, logprobs: int, max_in_flight: int, model_name: str):
        from harness.benchmarks.solvers import RequestSolver

        return RequestSolver(self.spec, base_seed=base_seed, logprobs=logprobs, max_in_flight=max_in_flight)

    def describe(self) -> dict[str, Any]:
        tasks = {}
        for name, t in self.tasks.items():
            config = json.loads(json.dumps(dict(t.dump_config()), default=stable_repr))
            tasks[name] = {"version": (t.config.metadata or {}).get("version"), "num_fewshot": config.get("num_fewshot") or 0,
                           "higher_is_better": dict(t.higher_is_better()), "n_docs": len(t.eval_docs), "config": config}
        return {"kind": self.kind, "rerunnable": self.rerunnable, "settings_per_call": False,
                "task_versions": {n: v["version"] for n, v in tasks.items()}, "lmeval": {"tasks": tasks},
                "scorer": {"name": self.scorer.name, "version": self.scorer.version}, "answer": self.spec.answer}


def stable_repr(obj: Any) -> Any:
    """A task config's non-JSON values as the same text in every process. lm-eval's own handler writes
    functions as "<function f at 0x7f…>", an address that changes per process: two runs of one job would
    then record different spec.json and lm-eval results, and two nights of a suite would compare as run
    differently. A function is named by its module and qualified name instead."""
    from lm_eval.utils import handle_non_serializable

    if callable(obj) and hasattr(obj, "__qualname__"):
        return f"<function {getattr(obj, '__module__', None) or '?'}.{obj.__qualname__}>"
    return handle_non_serializable(obj)


def _request(inst: Any) -> Request:
    if inst.request_type == "generate_until":
        return Request("generate_until", inst.args[0], gen_kwargs=dict(inst.args[1] or {}), repeats=max(inst.repeats or 1, 1))
    return Request("loglikelihood", inst.args[0], continuation=inst.args[1], repeats=max(inst.repeats or 1, 1))


def _apply_date_window(task, window: dict[str, str]) -> None:
    """Keep the evaluation split's documents dated within [start, end) (e.g. LiveCodeBench v6's contests);
    ISO dates compare as strings."""
    split = task.config.test_split
    start, end, fld = window.get("start", ""), window.get("end", "\uffff"), window["field"]
    task.dataset[split] = task.dataset[split].filter(lambda d: start <= str(d[fld]) < end)


def seed_hidden_randomness() -> None:
    """Some tasks shuffle with the global RNGs while loading (lm-eval's GPQA shuffles choices with `random`);
    seed them as lm-eval's own evaluator does, so every load — the run's and the verifier's — agrees."""
    import random

    import numpy as np

    random.seed(0)
    np.random.seed(1234)


def load_tasks(spec: BenchmarkSpec, resolver: DatasetResolver) -> dict[str, Any]:
    """The benchmark's lm-eval tasks with their data (from the hub, a mirror or our samples), checked."""
    prepare_offline_nlp()  # before task code imports nltk-based checkers (IFEval, IFBench)
    seed_hidden_randomness()
    field = f"suite.benchmarks.{spec.name}.task"
    tm = task_manager_for((spec.task,))
    if spec.task not in tm.task_index:
        raise ConfigError(f"unknown task {spec.task!r}: neither lm-eval nor tasks/ defines it", file=spec.config_file, field=field)
    with resolver.active():
        try:
            loaded = tm.load(spec.task)
        except DataError:
            raise
        except Exception as err:  # datasets/lm-eval raise many types; name the benchmark and keep the cause
            raise DataError(f"could not load task {spec.task!r}: {type(err).__name__}: {err}", file=spec.config_file, field=field) from err
    tasks = dict(sorted(loaded["tasks"].items()))
    if not tasks:
        raise ConfigError(f"task {spec.task!r} has no subtasks", file=spec.config_file, field=field)
    for name, task in tasks.items():
        if spec.date_window:
            _apply_date_window(task, spec.date_window)
        if spec.num_fewshot is not None:  # as lm-eval's simple_evaluate applies --num_fewshot
            task.set_config(key="num_fewshot", value=spec.num_fewshot)
        if task.OUTPUT_TYPE not in ("generate_until", "multiple_choice", "loglikelihood"):
            raise ConfigError(f"task {name} asks for {task.OUTPUT_TYPE!r} requests, which the harness does not run",
                              file=spec.config_file, field=field)
    return tasks


def load(spec: BenchmarkSpec, resolver: DatasetResolver) -> LmEvalBenchmark:
    return LmEvalBenchmark(spec, load_tasks(spec, resolver))
