"""CLIcK answered in text: the same documents and subsets as lm-eval's `click`, with generative scoring."""

from harness.scorers.choice import letter_results, mc_prompt


def _normalise(doc):
    choices = list(doc["choices"])
    return {"target": "ABCDE"[choices.index(doc["answer"])], "n_options": len(choices)}


def process_docs(dataset):
    return dataset.map(_normalise)


def doc_to_text(doc):
    return mc_prompt(doc["question"], doc["choices"], "ko", context=doc.get("paragraph") or None)


def process_results(doc, results):
    return letter_results(results[0], doc["target"], doc["n_options"])
