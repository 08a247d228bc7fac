"""GPQA Diamond with a per-document choice order and robust letter extraction.

The order is a function of the document alone (seeded by its Record ID, else its question), so a verifier
who loads one document, or the documents in another order, or from a warm `datasets` cache, sees the same
prompt. The permutation is kept in the document (and so in its recorded hash).
"""

import hashlib
import random

from lm_eval.tasks.gpqa.cot_zeroshot.utils import preprocess

from harness.scorers.answers import extract_choice

SOURCES = ("Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3", "Correct Answer")


def permutation(doc) -> list[int]:
    key = str(doc.get("Record ID") or doc["Question"])
    order = list(range(4))
    random.Random(int(hashlib.sha256(key.encode()).hexdigest()[:16], 16)).shuffle(order)
    return order


def _process(doc):
    order = permutation(doc)
    choices = [preprocess(doc[SOURCES[i]]) for i in order]
    return {
        **{f"choice{k + 1}": c for k, c in enumerate(choices)},
        "choices": choices,
        "permutation": order,
        "answer": f"({'ABCD'[order.index(3)]})",
    }


def process_docs(dataset):
    return dataset.map(_process)


def robust_extract(resps, docs):
    """Each response's letter as "(X)" (the target's form), or "[invalid]"."""
    out = []
    for per_doc in resps:
        letters = [extract_choice(r, 4) for r in per_doc]
        out.append([f"({x})" if x else "[invalid]" for x in letters])
    return out
