"""KorNAT common knowledge: Korean national-alignment knowledge questions, generative multiple choice."""

from harness.scorers.choice import answer_letter, field
from harness.scorers.choice import mc_doc_to_text as doc_to_text  # noqa: F401  (used by the YAML)
from harness.scorers.choice import mc_process_results as process_results  # noqa: F401


def _normalise(doc):
    options = [str(o) for o in field(doc, "choices", "options")]
    answer = field(doc, "answer", "label", "Answer")
    target = options.index(answer) + 1 if isinstance(answer, str) and answer in options else answer
    return {"question": str(field(doc, "question", "Question")), "options": options, "target": answer_letter(target, len(options))}


def process_docs(dataset):
    return dataset.map(_normalise)
