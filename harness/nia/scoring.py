"""Prompting and scoring NIA-format items: one scorer per item, named in the item."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from harness.scorers.answers import extract_choice, strip_thinking
from harness.scorers.choice import answer_letter, mc_prompt
from harness.scorers.math import math_equal
from harness.scorers.refusal import is_refusal

MATH_SUFFIX = "\n풀이 과정을 쓰고 최종 답을 \\boxed{} 안에 쓰세요."


def doc_to_text(doc: dict[str, Any]) -> str:
    if doc["scorer"] == "choice":
        return mc_prompt(doc["question"], doc["choices"], "ko", context=doc.get("context"))
    text = (f"{doc['context'].strip()}\n\n" if doc.get("context") else "") + doc["question"].strip()
    return text + (MATH_SUFFIX if doc["scorer"] == "math" else "") + "\n"


def _normal(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).lower()
    return re.sub(r"[\s\.,!?'\"“”‘’()\[\]]+", " ", s).strip()


def score_item(doc: dict[str, Any], response: str) -> float:
    kind, answer = doc["scorer"], doc.get("answer")
    if isinstance(answer, str) and answer.strip().isdigit() and kind == "choice":
        answer = int(answer)
    text = strip_thinking(response)
    if kind == "choice":
        return float(extract_choice(text, len(doc["choices"])) == answer_letter(answer, len(doc["choices"])))
    if kind == "math":
        return float(math_equal(str(answer), text))
    if kind == "exact":
        last = text.strip().splitlines()[-1] if text.strip() else ""
        return float(_normal(last).endswith(_normal(str(answer))) or _normal(text) == _normal(str(answer)))
    if kind == "contains":
        return float(_normal(str(answer)) in _normal(text))
    if kind == "refusal":
        return float(is_refusal(text))
    if kind == "compliance":
        return float(not is_refusal(text))
    raise ValueError(f"unknown scorer {kind!r}")


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    value = score_item(doc, results[0])
    out = {"score": value, f"score_{doc['area']}": value}
    if doc.get("context"):
        out["context_chars"] = float(len(doc["context"]))
    return out


def loglikelihood_choices(doc: dict[str, Any]) -> list[str]:
    from harness.scorers.choice import LETTERS

    return [f" {LETTERS[i]}" for i in range(len(doc["choices"]))]


def loglikelihood_target(doc: dict[str, Any]) -> int:
    from harness.scorers.choice import LETTERS

    return LETTERS.index(answer_letter(doc["answer"], len(doc["choices"])))


def loglikelihood_text(doc: dict[str, Any]) -> str:
    return mc_prompt(doc["question"], doc["choices"], "ko", context=doc.get("context")) + "정답:"
