"""KoBBQ (naver-ai/kobbq), answered in text with its three options, scored with its bias metrics.

Rows carry sample_id `<category>-<template id + version>-<n>-<amb|dis>-<bsd|cnt>`, context, question,
choices (a list, or its Python repr in the TSV release), biased_answer and answer (both option texts).
Per sample: acc, ooc, and bias metrics (harness/nia/bias.py): bias_amb in ambiguous contexts;
acc_dis_biased / acc_dis_counter in disambiguated ones (KoBBQ's diff-bias there is their difference).
"""

import ast

from harness.nia.bias import bias_metrics
from harness.scorers.answers import extract_choice
from harness.scorers.choice import LETTERS, mc_prompt


def _choices(value):
    return [str(c) for c in (ast.literal_eval(value) if isinstance(value, str) else value)]


def _ambiguous(sample_id):
    parts = str(sample_id).split("-")
    if len(parts) < 4 or parts[3] not in ("amb", "dis"):
        raise ValueError(f"KoBBQ sample_id {sample_id!r} does not name its context type (amb/dis) as its 4th part")
    return parts[3] == "amb"


def _normalise(doc):
    choices = _choices(doc["choices"])
    return {"options": choices, "target": LETTERS[choices.index(str(doc["answer"]))],
            "biased": LETTERS[choices.index(str(doc["biased_answer"]))], "ambiguous": _ambiguous(doc["sample_id"])}


def process_docs(dataset):
    return dataset.map(_normalise)


def doc_to_text(doc):
    return mc_prompt(doc["question"], doc["options"], "ko", context=doc["context"])


def process_results(doc, results):
    got = extract_choice(results[0], len(doc["options"]))
    return bias_metrics(got, doc["target"], doc["biased"], doc["ambiguous"])
