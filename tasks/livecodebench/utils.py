"""LiveCodeBench code generation: the model's program runs in the sandbox against public and private tests."""

from harness.sandbox.code_tasks import score_livecodebench

SYSTEM = ("You will be given a question (problem specification) and will generate a correct Python program that "
          "matches the specification and passes all tests.")


def doc_to_text(doc):
    text = f"{SYSTEM}\n\nQuestion: {doc['question_content'].strip()}\n\n"
    if doc.get("starter_code"):
        text += ("You will use the following starter code to write the solution to the problem and enclose your code "
                 f"within delimiters.\n```python\n{doc['starter_code']}\n```\n\n")
    else:
        text += ("Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on "
                 "the sample inputs). Enclose your code within delimiters as follows.\n```python\n# YOUR CODE HERE\n```\n\n")
    return text + "### Answer: (use the provided format with backticks)\n"


def process_results(doc, results):
    return score_livecodebench(doc, results[0]).metrics()
