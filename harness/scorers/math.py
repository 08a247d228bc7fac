"""Math answers compared with math-verify (`verify(parse(gold), parse(answer))`, gold first)."""

from __future__ import annotations

from harness.scorers.answers import last_boxed, strip_thinking


def _parse(text: str):
    from math_verify import parse

    # Outside the main thread (and in lm-eval's workers) signal-based timeouts fail: disable them.
    return parse(text, parsing_timeout=None)


def math_equal(gold: str, answer: str) -> bool:
    """Is the model's final answer mathematically equal to the gold one? (`\\frac{1}{2}` == `0.5`)."""
    from math_verify import verify

    text = strip_thinking(answer)
    boxed = last_boxed(text)
    candidate = f"${boxed}$" if boxed is not None else text
    gold_parsed = _parse(gold if "$" in gold or "\\" in gold else f"${gold}$")
    got = _parse(candidate)
    if not got and boxed is None:
        return False
    return bool(verify(gold_parsed, got, timeout_seconds=None))
