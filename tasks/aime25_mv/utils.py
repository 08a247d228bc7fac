"""AIME 2025 scored with math-verify (equivalent forms count) instead of string normalisation."""

from harness.scorers.math import math_equal


def doc_to_text(doc):
    return f"{doc['problem'].strip()}\nPlease reason step by step, and put your final answer within \\boxed{{}}."


def process_results(doc, results):
    return {"exact_match": int(math_equal(str(doc["answer"]), results[0]))}
