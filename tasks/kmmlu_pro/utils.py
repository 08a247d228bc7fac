"""KMMLU-Pro and KMMLU-Redux share a layout: question, options (4 or 5), solution (1-based)."""

from harness.scorers.choice import answer_letter, field
from harness.scorers.choice import mc_doc_to_text as doc_to_text  # noqa: F401  (used by the YAML)
from harness.scorers.choice import mc_process_results as process_results  # noqa: F401


def _normalise(doc):
    options = [str(o) for o in field(doc, "options", "choices")]
    return {"question": str(field(doc, "question")), "options": options,
            "target": answer_letter(field(doc, "solution", "answer", "label"), len(options))}


def process_docs(dataset):
    return dataset.map(_normalise)
