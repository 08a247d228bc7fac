"""An lm-eval task for any NIA-format file, built in code from the file's path: no YAML, no code change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.nia import scoring
from harness.nia.schema import AREAS, load_items

MODES = ("generate", "multiple_choice")


def task_config(name: str, path: str | Path, mode: str = "generate") -> dict[str, Any]:
    """The task config dict lm-eval's TaskManager builds a ConfigurableTask from. The file is validated
    first (every line), so a malformed line stops the job before any model loads."""
    path = Path(path).resolve()
    items = load_items(path)
    metric_names = ["score"] + [f"score_{a}" for a in AREAS] + ["context_chars"]
    base: dict[str, Any] = {
        "task": f"nia_{name}",
        # Items are validated here and handed over with uniform types (Arrow's JSON reader rejects a column
        # that mixes letters and numbers, as `answer` may).
        "custom_dataset": _dataset,
        "test_split": "test",
        "metadata": {"version": 1.0, "nia_file": str(path), "n_items": len(items)},
    }
    if mode == "multiple_choice":
        if any(i["scorer"] != "choice" for i in items):
            raise ValueError("multiple_choice mode needs every item to use the 'choice' scorer")
        return base | {
            "output_type": "multiple_choice",
            "doc_to_text": scoring.loglikelihood_text,
            "doc_to_choice": scoring.loglikelihood_choices,
            "doc_to_target": scoring.loglikelihood_target,
            "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
        }
    return base | {
        "output_type": "generate_until",
        "doc_to_text": scoring.doc_to_text,
        "doc_to_target": "answer",
        "process_results": scoring.process_results,
        "generation_kwargs": {"until": [], "do_sample": False, "temperature": 0.0, "max_gen_toks": 4096},
        "metric_list": [{"metric": m, "aggregation": "mean", "higher_is_better": True} for m in metric_names],
    }


def _dataset(nia_file: str, **_: Any):
    import json

    import datasets

    rows = [
        {"id": i["id"], "area": i["area"], "question": i["question"], "context": i["context"] or "",
         "choices": i["choices"] or [], "answer": "" if i["answer"] is None else str(i["answer"]),
         "scorer": i["scorer"], "metadata": json.dumps(i["metadata"] or {}, ensure_ascii=False)}
        for i in load_items(nia_file)
    ]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})
