"""KorNAT common knowledge: Korean national-alignment knowledge questions, generative multiple choice."""

from harness.scorers.choice import answer_letter, field, letter_results, mc_prompt


def _normalise(doc):
    options = [str(o) for o in field(doc, "choices", "options")]
    answer = field(doc, "answer", "label", "Answer")
    target = options.index(answer) + 1 if isinstance(answer, str) and answer in options else answer
    return {"question": str(field(doc, "question", "Question")), "options": options, "target": answer_letter(target, len(options))}


def process_docs(dataset):
    return dataset.map(_normalise)


def doc_to_text(doc):
    return mc_prompt(doc["question"], doc["options"], "ko")


def process_results(doc, results):
    return letter_results(results[0], doc["target"], len(doc["options"]))
