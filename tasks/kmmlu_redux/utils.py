"""KMMLU-Pro and KMMLU-Redux share a layout: question, options (4 or 5), solution (1-based)."""

from harness.scorers.choice import answer_letter, field, letter_results, mc_prompt


def _normalise(doc):
    options = [str(o) for o in field(doc, "options", "choices")]
    return {"question": str(field(doc, "question")), "options": options,
            "target": answer_letter(field(doc, "solution", "answer", "label"), len(options))}


def process_docs(dataset):
    return dataset.map(_normalise)


def doc_to_text(doc):
    return mc_prompt(doc["question"], doc["options"], "ko")


def process_results(doc, results):
    return letter_results(results[0], doc["target"], len(doc["options"]))
