"""KoBALT-700: Korean linguistic knowledge; the question carries its ten lettered options (A–J)."""

from harness.scorers.choice import INSTRUCTIONS, answer_letter, field, letter_results

N_OPTIONS = 10


def _normalise(doc):
    return {"question": str(field(doc, "Question", "question")), "target": answer_letter(field(doc, "Answer", "answer"), N_OPTIONS)}


def process_docs(dataset):
    return dataset.map(_normalise)


def doc_to_text(doc):
    return f"{INSTRUCTIONS['ko']}\n\n{doc['question'].strip()}\n"


def process_results(doc, results):
    return letter_results(results[0], doc["target"], N_OPTIONS)
