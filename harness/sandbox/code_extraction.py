"""The program inside a model's answer: thinking trace dropped, then the last Python fenced block."""

from __future__ import annotations

import re

from harness.scorers.answers import split_thinking_raw

# An opening fence at the start of a line, its info string, the body, and a closing fence at the end of a line
# or the end of the text (a generation cut by the token limit still carries its code).
_FENCE = re.compile(r"^[ \t]*```[ \t]*([^\n`]*)\n(.*?)(?:```[ \t]*$|\Z)", re.DOTALL | re.MULTILINE)
_PYTHON_TAGS = {"python", "python3", "py", "py3", "pycon"}


def strip_thinking(text: str) -> str:
    """The text after the last `</think>`; empty when a `<think>` was never closed (the model never answered).
    Unlike answer extraction for letters, indentation is kept: a raw HumanEval completion starts indented."""
    return re.sub(r"\A(?:[ \t]*\n)+", "", split_thinking_raw(text)[0])  # leading blank lines only


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language tag, body) of every fenced block, in order."""
    return [(m.group(1).strip().lower(), m.group(2)) for m in _FENCE.finditer(text)]


def extract_code(answer: str, *, whole_answer_if_no_block: bool = True) -> str:
    """The last ```python block (```py, ```python3 too) of the answer after its thinking trace; failing that
    the last untagged block; failing that the whole answer (a raw completion) or "" — LiveCodeBench's
    choice — when `whole_answer_if_no_block` is False. Blocks of other languages are never taken."""
    text = strip_thinking(answer)
    blocks = code_blocks(text)
    for wanted in (lambda tag: tag.split()[0] in _PYTHON_TAGS if tag else False, lambda tag: tag == ""):
        chosen = [body for tag, body in blocks if wanted(tag)]
        if chosen:
            return chosen[-1]
    return text if whole_answer_if_no_block and not blocks else ""
