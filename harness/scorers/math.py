"""Math answers compared with math-verify (`verify(parse(gold), parse(answer))`, gold first)."""

from __future__ import annotations

import threading

from harness.scorers.answers import last_boxed, strip_thinking

TIMEOUT_S = 5  # a pathological expression must not stall a job


def _timeout() -> int | None:
    # math-verify's timeouts use signals, which work only in the main thread; elsewhere they must be off.
    return TIMEOUT_S if threading.current_thread() is threading.main_thread() else None


def math_equal(gold: str, answer: str) -> bool:
    """Is the model's final answer mathematically equal to the gold one? (`\\frac{1}{2}` == `0.5`)."""
    from math_verify import parse, verify

    text = strip_thinking(answer)
    boxed = last_boxed(text)
    candidate = f"${boxed}$" if boxed is not None else text
    gold_parsed = parse(gold if "$" in gold else f"${gold}$", parsing_timeout=_timeout())
    got = parse(candidate, parsing_timeout=_timeout())
    if not got:
        return False
    return bool(verify(gold_parsed, got, timeout_seconds=_timeout()))
