"""An lm-eval task for any NIA-format file, built in code from the file's path: no YAML, no code change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.nia import metrics
from harness.nia.bias import BIAS_METRICS
from harness.nia.schema import AREAS, LETTER_SCORERS, load_items

MODES = ("generate", "multiple_choice")
# Both modes report the same names, so one benchmark config (metric: score) serves either.
METRICS = ("score", *(f"score_{a}" for a in AREAS), *(m for m in BIAS_METRICS if m != "acc"), "context_chars")


def task_config(name: str, path: str | Path, mode: str = "generate") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The task config dict lm-eval's TaskManager builds a ConfigurableTask from, and the validated items.
    The file is validated first (every line), so a malformed line stops the job before any model loads."""
    path = Path(path).resolve()
    items = load_items(path)
    base: dict[str, Any] = {
        "task": f"nia_{name}",
        # Items are validated here and handed over with uniform types (Arrow's JSON reader rejects a column
        # that mixes letters and numbers, as `answer` may).
        "custom_dataset": _dataset,
        "test_split": "test",
        # context_field: the runner records its length in the model's tokens (`context_tokens`).
        "metadata": {"version": 1.0, "nia_file": str(path), "n_items": len(items), "context_field": "context"},
        "metric_list": [{"metric": m, "aggregation": "mean", "higher_is_better": True} for m in METRICS],
    }
    if mode == "multiple_choice":
        other = sorted({i["scorer"] for i in items} - set(LETTER_SCORERS))
        if other:
            raise ValueError(f"multiple_choice mode scores choice and bias items only; the file has {other} items")
        return base | {
            "output_type": "multiple_choice",
            "doc_to_text": metrics.loglikelihood_text,
            "doc_to_choice": metrics.loglikelihood_choices,
            "doc_to_target": metrics.loglikelihood_target,
            "process_results": metrics.process_loglikelihood,
        }, items
    return base | {
        "output_type": "generate_until",
        "doc_to_text": metrics.doc_to_text,
        "doc_to_target": "answer",
        "process_results": metrics.process_results,
        "generation_kwargs": {"until": [], "do_sample": False, "temperature": 0.0, "max_gen_toks": 4096},
    }, items


def _dataset(nia_file: str, **_: Any):
    import json

    import datasets

    def text(v: Any) -> str:
        return "" if v is None else str(v)

    rows = [
        {"id": i["id"], "area": i["area"], "question": i["question"], "context": text(i["context"]),
         "choices": i["choices"] or [], "answer": text(i["answer"]), "scorer": i["scorer"],
         "biased_answer": text(i["biased_answer"]), "ambiguous": bool(i["ambiguous"]),
         "metadata": json.dumps(i["metadata"] or {}, ensure_ascii=False)}
        for i in load_items(nia_file)
    ]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})
