"""Humanity's Last Exam, text-only questions; the response is graded by a judge model (harness.judge)."""

PROMPT = ("Your response should be in the following format:\nExplanation: {{your explanation for your final answer}}\n"
          "Answer: {{your succinct, final answer}}\nConfidence: {{your confidence score between 0% and 100% for your answer}}\n\n{question}")


def process_docs(dataset):
    return dataset.filter(lambda d: not d.get("image"))  # the text-only subset


def doc_to_text(doc):
    return PROMPT.format(question=doc["question"].strip())


def process_results(doc, results):
    return {}  # the judge's verdict is the score (see configs/benchmark/hle.yaml)
