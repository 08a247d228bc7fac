"""Generative multiple choice: one prompt layout, one answer extraction, for every task that needs them.

Reasoning models answer multiple-choice questions in text; the letter is extracted (harness.scorers.answers)
and compared with the target. Field names differ between datasets, so `field()` looks a value up under
several spellings and fails with the names it tried.
"""

from __future__ import annotations

from typing import Any

from harness.scorers.answers import extract_choice

LETTERS = "ABCDEFGHIJKLMNOP"

INSTRUCTIONS = {
    "ko": "다음 문제를 읽고 정답을 고르세요. 풀이 후 마지막 줄에 '정답: X' 형식으로 알파벳 하나를 쓰세요.",
    "en": "Answer the following multiple-choice question. Think step by step, then give your final answer on the last line as 'Answer: X'.",
}


def field(doc: dict[str, Any], *names: str) -> Any:
    lowered = {k.lower(): v for k, v in doc.items()}
    for name in names:
        if name in doc:
            return doc[name]
        if name.lower() in lowered:
            return lowered[name.lower()]
    raise KeyError(f"none of the fields {names} in document with fields {sorted(doc)}")


def answer_letter(value: Any, n_options: int, *, one_based: bool = True) -> str:
    """A target given as a letter ('B', '(B)'), a 1-based number (2) or an option index (one_based=False)."""
    if isinstance(value, str):
        v = value.strip().strip("()").upper()
        if v and v[0] in LETTERS[:n_options] and (len(v) == 1 or not v[1].isalpha()):
            return v[0]
        value = int(v)
    i = int(value) - (1 if one_based else 0)
    if not 0 <= i < n_options:
        raise ValueError(f"answer {value!r} is outside {n_options} options")
    return LETTERS[i]


def mc_prompt(question: str, options: list[str], lang: str = "ko", context: str | None = None) -> str:
    parts = [INSTRUCTIONS[lang], ""]
    if context:
        parts += [context.strip(), ""]
    parts.append(question.strip())
    parts += [f"{LETTERS[i]}. {str(o).strip()}" for i, o in enumerate(options)]
    return "\n".join(parts) + "\n"


def letter_results(response: str, target: str, n_options: int) -> dict[str, int]:
    """exact_match = 1 if the extracted letter is the target. `response` is already past any </think>."""
    return {"exact_match": int(extract_choice(response, n_options) == target)}


# Task utils for datasets normalised to {question, options, target}: one prompt, one scorer.
def mc_doc_to_text(doc: dict[str, Any]) -> str:
    return mc_prompt(doc["question"], doc["options"], "ko")


def mc_process_results(doc: dict[str, Any], results: list[str]) -> dict[str, int]:
    return letter_results(results[0], doc["target"], len(doc["options"]))
