"""Parsing judges' verdicts. A verdict that cannot be parsed is recorded as such and scores 0."""

from __future__ import annotations

import re

from harness.scorers.answers import strip_thinking

_CORRECT = re.compile(r"^\s*\**correct\**\s*:\s*\**\s*(yes|no)\b", re.IGNORECASE | re.MULTILINE)
_EXTRACTED = re.compile(r"^\s*\**extracted_final_answer\**\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_CONFIDENCE = re.compile(r"^\s*\**confidence\**\s*:\s*(\d+(?:\.\d+)?)\s*%?", re.IGNORECASE | re.MULTILINE)
_EQUIV = re.compile(r"\b(INCORRECT|CORRECT)\b")


def parse_hle(text: str) -> dict:
    """HLE's judge format: `extracted_final_answer: …`, `correct: yes|no`, `confidence: N%`."""
    body = strip_thinking(text)
    m = _CORRECT.findall(body)
    ext = _EXTRACTED.findall(body)
    conf = _CONFIDENCE.findall(body)
    return {
        "parsed": bool(m),
        "correct": float(m[-1].lower() == "yes") if m else 0.0,
        "extracted_final_answer": ext[-1].strip() if ext else None,
        "confidence": float(conf[-1]) if conf else None,
    }


def parse_equivalence(text: str) -> dict:
    """CORRECT / INCORRECT on the last line that says one (INCORRECT contains CORRECT: match whole words)."""
    body = strip_thinking(text)
    hits = _EQUIV.findall(body.upper())
    return {"parsed": bool(hits), "correct": float(hits[-1] == "CORRECT") if hits else 0.0}


PARSERS = {"hle": parse_hle, "equivalence": parse_equivalence}
