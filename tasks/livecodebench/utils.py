"""LiveCodeBench code generation: the model's program runs in the sandbox against public and private tests."""

import json

from harness.sandbox.code_tasks import decode_private_tests, extract_code, run_functional_tests, run_stdin_tests

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


def tests_of(doc):
    return json.loads(doc["public_test_cases"]) + decode_private_tests(doc["private_test_cases"])


def process_results(doc, results):
    code = extract_code(results[0])
    tests = tests_of(doc)
    if tests and tests[0].get("testtype") == "functional":
        fn = json.loads(doc.get("metadata") or "{}").get("func_name")
        verdict = run_functional_tests(code, fn, tests)
    else:
        verdict = run_stdin_tests(code, tests)
    return verdict.metrics()
