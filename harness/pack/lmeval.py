"""`lmeval_results.json`: the pack's scores in the shape lm-eval's own `results_*.json` has, so lm-eval's
readers (`lm_eval.utils.make_table`, its W&B and Hub loggers, leaderboards that ingest its files) take a pack
as they take an lm-eval run.

Computed from records and spec.json alone (no lm-eval import), so a verifier recomputes it. Values are
fractions (lm-eval's scale); a benchmark's entry is the mean over its five runs, and its `_stderr` the
item-clustered standard error over those runs (docs/records.md). A benchmark made of several lm-eval tasks
appears as a group with each task under it, as lm-eval reports groups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from harness.pack.summary import score_matrix
from harness.records.schema import SampleRecord
from harness.stats.summary import summarise


def _entry(alias: str, metric_key: str, records: list[SampleRecord], repeats: int) -> tuple[dict[str, Any], int]:
    metric, _, filt = metric_key.partition(",")
    ids, matrix, problems = score_matrix(records, metric_key, repeats)
    entry: dict[str, Any] = {"name": alias, "alias": alias, "sample_len": len(ids)}
    if ids and not problems:
        s = summarise(matrix, scale=1.0)
        entry[metric_key] = s.mean
        entry[f"{metric}_stderr,{filt}"] = s.se if s.n_items > 1 else "N/A"
    return entry, len(ids)


def _model_args(model: dict[str, Any]) -> str:
    """lm-eval's `model_args` string: pretrained=…,key=value for the engine arguments."""
    parts = [f"pretrained={model.get('path') or (model.get('engine_args') or {}).get('model') or model.get('name')}"]
    parts += [f"{k}={v}" for k, v in sorted((model.get("engine_args") or {}).items()) if v is not None and k != "model"]
    return ",".join(parts)


def lmeval_results(spec_doc: dict[str, Any], records: dict[str, Iterable[SampleRecord]], *, model: dict[str, Any],
                   run_id: str, started: float | None = None, elapsed_s: float | None = None,
                   versions: dict[str, str | None] | None = None) -> dict[str, Any]:
    """The lm-eval results document of a pack: `spec_doc` is spec.json, `records` each benchmark's records,
    `model` the resolved model config; `versions` the packages (lm_eval, transformers) the run used."""
    repeats = int(spec_doc["repeats"])
    results: dict[str, Any] = {}
    groups: dict[str, Any] = {}
    group_subtasks: dict[str, list[str]] = {}
    configs: dict[str, Any] = {}
    task_versions: dict[str, Any] = {}
    n_shot: dict[str, int] = {}
    higher: dict[str, dict[str, bool | None]] = {}
    n_samples: dict[str, dict[str, int]] = {}
    for name, meta in spec_doc["benchmarks"].items():
        recs = list(records.get(name, ()))
        key = meta["metric"]
        leaves: dict[str, Any] = (meta.get("lmeval") or {}).get("tasks") or {}
        entry, n_items = _entry(name, key, recs, repeats)
        results[name] = entry
        leaf_names = sorted(leaves)
        is_group = len(leaf_names) > 1  # one task under another name is that task, reported as the benchmark
        group_subtasks[name] = leaf_names if is_group else []
        leaf_versions = {leaves[t].get("version") for t in leaf_names}
        task_versions[name] = leaf_versions.pop() if len(leaf_versions) == 1 else None
        shots = {int(leaves[t].get("num_fewshot") or 0) for t in leaf_names}
        n_shot[name] = shots.pop() if len(shots) == 1 else 0
        higher[name] = {}
        for t in leaf_names:
            for m, h in (leaves[t].get("higher_is_better") or {}).items():
                higher[name].setdefault(m, h)
        n_samples[name] = {"original": int(sum(int(leaves[t].get("n_docs") or 0) for t in leaf_names) or meta["n_samples"]),
                           "effective": int(meta["n_samples"])}
        if is_group:
            groups[name] = dict(entry)
            by_task: dict[str, list[SampleRecord]] = defaultdict(list)
            for rec in recs:
                by_task[rec.task].append(rec)
            for t in leaf_names:
                leaf = leaves[t]
                results[t], n_leaf = _entry(t, key, by_task.get(t, []), repeats)
                task_versions[t] = leaf.get("version")
                n_shot[t] = int(leaf.get("num_fewshot") or 0)
                higher[t] = dict(leaf.get("higher_is_better") or {})
                n_samples[t] = {"original": int(leaf.get("n_docs") or n_leaf), "effective": n_leaf}
                configs[t] = leaf.get("config") or {"task": t}
        else:
            only = leaves.get(leaf_names[0]) if leaf_names else {}
            configs[name] = (only or {}).get("config") or {"task": meta.get("task", name)}
    model_name = str(model.get("path") or model.get("name") or "")
    doc: dict[str, Any] = {
        "results": results,
        "group_subtasks": group_subtasks,
        "configs": configs,
        "versions": task_versions,
        "n-shot": n_shot,
        "higher_is_better": higher,
        "n-samples": n_samples,
        "config": {
            "model": model.get("engine"),  # lm-eval's "model" is the backend type ("vllm", "hf", …)
            "model_args": _model_args(model),
            "batch_size": None,
            "batch_sizes": [],
            "device": None,
            "use_cache": None,
            "limit": spec_doc.get("max_samples"),
            "bootstrap_iters": 0,  # standard errors come from the runs (item-clustered), not a bootstrap
            "gen_kwargs": {b: m.get("generation") for b, m in spec_doc["benchmarks"].items()},
            "random_seed": spec_doc.get("seed"),  # the run seed every request seed derives from
            "numpy_seed": None,
            "torch_seed": None,
            "fewshot_seed": None,
        },
        "git_hash": None,
        "date": started,
        "model_source": model.get("engine"),
        "model_name": model_name,
        "model_name_sanitized": model_name.replace("/", "__"),
        "total_evaluation_time_seconds": None if elapsed_s is None else str(round(elapsed_s, 3)),
        "harness": {"run_id": run_id, "suite": spec_doc.get("suite"), "repeats": repeats,
                    "run_seeds": spec_doc.get("run_seeds"), "stderr": "item-clustered over runs (Miller 2024)"},
    }
    if groups:
        doc["groups"] = groups
    if versions:
        doc.update({"lm_eval_version": versions.get("lm-eval"), "transformers_version": versions.get("transformers")})
    return doc
