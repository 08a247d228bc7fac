"""Answer extraction robust to Korean and English phrasing and to thinking traces.

Reasoning models answer after a `<think>…</think>` trace; the trace is stripped before scoring (the record
keeps the raw text). A multiple-choice letter is taken from, in order: an explicit statement ("정답은 (B)",
"답: B", "The answer is B", "Answer: **B**"), a boxed letter (`\\boxed{B}`), a lone letter line, and last a
parenthesised letter; the last match of the strongest pattern wins, as models restate their answer at the end.
"""

from __future__ import annotations

import re

THINK_END = re.compile(r"</think>", re.IGNORECASE)


def split_thinking_raw(text: str) -> tuple[str, str]:
    """(answer, trace), the answer as written (not stripped). An unclosed `<think>` means the model never
    answered: the answer is empty."""
    ends = list(THINK_END.finditer(text))
    if ends:
        return text[ends[-1].end() :], text[: ends[-1].end()]
    if re.search(r"<think>", text, re.IGNORECASE):
        return "", text
    return text, ""


def split_thinking(text: str) -> tuple[str, str]:
    """(answer, trace), the answer stripped of surrounding whitespace."""
    answer, trace = split_thinking_raw(text)
    return answer.strip(), trace


def strip_thinking(text: str) -> str:
    return split_thinking(text)[0]


def _letters(n: int) -> str:
    return "ABCDEFGHIJKLMNOP"[:n]


def extract_choice(text: str, n_choices: int = 4, *, numbers: bool = True) -> str | None:
    """The chosen letter (A, B, …) or None. Numbered answers (①, 1) map to letters when `numbers`."""
    answer = strip_thinking(text)
    L = _letters(n_choices)
    letter = rf"([{L}])"
    num_map = {str(i + 1): L[i] for i in range(n_choices)} | {chr(0x2460 + i): L[i] for i in range(n_choices)}
    num = rf"([1-{min(n_choices, 9)}]|[{''.join(chr(0x2460 + i) for i in range(n_choices))}])" if numbers else None
    lead = r"(?:정답|답|answer|final answer|the answer|the correct answer|correct answer|선택)"
    patterns = [
        rf"{lead}\s*(?:은|는|:|：|is|would be|=)?\s*(?:\*\*|\(|\[|\s)*{letter}(?![A-Za-z])",
        rf"\\boxed\{{\s*\(?{letter}\)?\s*\}}",
        rf"(?m)^\s*(?:\*\*)?\(?{letter}\)?(?:\*\*)?\s*[.)]?\s*$",
        rf"\({letter}\)",
    ]
    if num:
        patterns.insert(1, rf"{lead}\s*(?:은|는|:|：|is|=)?\s*(?:\*\*|\(|\s)*{num}(?![0-9])(?:\s*번)?")
        patterns.insert(2, rf"\\boxed\{{\s*{num}\s*\}}")
    for pat in patterns:
        hits = re.findall(pat, answer, flags=re.IGNORECASE)
        if hits:
            got = hits[-1].upper() if hits[-1].upper() in L else num_map.get(hits[-1])
            if got:
                return got
    return None


def last_boxed(text: str) -> str | None:
    """Content of the last `\\boxed{…}` (nested braces allowed), or None."""
    idx = text.rfind("\\boxed")
    if idx < 0:
        return None
    i = text.find("{", idx)
    if i < 0:
        return None
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j]
    return None
