"""IFBench's rules through its package's evaluation_lib, offline (see harness.scorers.offline).

Instruction-level accuracies are returned per sample as fractions (followed / given), so every metric is a
per-sample mean the harness can recompute from records; IFBench's own instruction-level figure pools
instructions across prompts, which weights prompts by their number of instructions.
"""

from __future__ import annotations

from typing import Any

from harness.scorers.offline import import_ifbench


def _example(doc: dict[str, Any]):
    evaluation_lib = import_ifbench()

    kwargs = [{k: v for k, v in (kw or {}).items() if v is not None} for kw in doc["kwargs"]]
    return evaluation_lib, evaluation_lib.InputExample(key=doc["key"], instruction_id_list=list(doc["instruction_id_list"]), prompt=doc["prompt"], kwargs=kwargs)


def ifbench_results(doc: dict[str, Any], response: str) -> dict[str, float]:
    lib, example = _example(doc)
    strict = lib.test_instruction_following_strict(example, {example.prompt: response})
    loose = lib.test_instruction_following_loose(example, {example.prompt: response})
    n = len(strict.follow_instruction_list)
    return {
        "prompt_level_strict_acc": float(strict.follow_all_instructions),
        "prompt_level_loose_acc": float(loose.follow_all_instructions),
        "inst_level_strict_acc": sum(strict.follow_instruction_list) / n,
        "inst_level_loose_acc": sum(loose.follow_instruction_list) / n,
    }
