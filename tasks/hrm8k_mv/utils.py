"""HRM8K with lm-eval's prompts and targets, answers compared by math-verify instead of string normalisation."""

from lm_eval.tasks.hrm8k.default.utils import doc_to_target, doc_to_text, doc_to_text_mmmlu  # noqa: F401  (used by the YAML)

from harness.scorers.math import math_equal


def process_results(doc, results):
    return {"exact_match": int(math_equal(doc_to_target(doc), results[0]))}
