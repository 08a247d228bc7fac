"""Teacher-forced checking of a recorded output: every recorded token scored under the model in one
forward pass after its prompt (harness.engines.base.TokenScorer), so a forged token is found wherever it
sits, not only before the first token the re-run chose differently.

Two questions per token: is its recorded log-prob the model's (within the tolerance of the setup: a prefill
does not add up in the same order as the decode step that produced the token), and could the recorded
settings have produced it (greedy: the argmax; top-k: among the k best; top-p at temperature 1: inside the
nucleus)? A tie explains a re-run's different path only when the recorded path passes both. Pure: reads
records and scores only.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from harness.engines.base import ForcedResult
from harness.records.schema import Response


@dataclass(frozen=True)
class ForcedCheck:
    consistent: bool
    tokens: int
    max_delta: float  # largest |recorded − recomputed| log-prob over the output
    position: int | None = None  # the first token that fails, if any
    detail: str = ""

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None and v != ""}


def _outside_settings(settings: dict, forced: ForcedResult, i: int, eps: float) -> str | None:
    """Why the recorded settings could not have produced token i (None: they could have)."""
    rank, lp, tops = forced.ranks[i], forced.logprobs[i], forced.top_logprobs[i]
    temperature = float(settings.get("temperature") or 0.0)
    top_k, top_p = int(settings.get("top_k") or -1), float(settings.get("top_p") or 1.0)
    if temperature == 0.0 and rank > 1 and tops and tops[0] - lp > eps:
        return f"greedy decoding, but the model ranks it {rank} ({tops[0] - lp:.3f} nats below the argmax)"
    if top_k > 0 and rank > top_k and len(tops) >= top_k and tops[top_k - 1] - lp > eps:
        return f"top_k={top_k}, but the model ranks it {rank}"
    if temperature == 1.0 and top_p < 1.0:
        above = sum(math.exp(x - eps) for x in tops[: rank - 1])  # a lower bound when rank exceeds the list
        if above >= top_p:
            return f"top_p={top_p}, but the tokens the model ranks above it already hold {above:.3f} of the probability"
    return None


def check_forced(resp: Response, forced: ForcedResult, tolerance: float, epsilon: float) -> ForcedCheck:
    n = len(resp.token_ids)
    if not resp.logprobs or len(forced.logprobs) != n:
        return ForcedCheck(len(forced.logprobs) == n, n, 0.0, detail="no recorded log-probs to compare" if not resp.logprobs else
                           f"{len(forced.logprobs)} tokens scored, {n} recorded")
    deltas = [abs(a - b) for a, b in zip(resp.logprobs, forced.logprobs, strict=True)]
    worst = max((d for d in deltas if math.isfinite(d)), default=0.0)
    for i, d in enumerate(deltas):
        if forced.ranks[i] == 0:
            return ForcedCheck(False, n, worst, i, f"token #{i} ({resp.token_ids[i]}) is not in the model's vocabulary")
        if d > tolerance:
            return ForcedCheck(False, n, worst, i, f"token #{i} ({resp.token_ids[i]}): recorded log-prob {resp.logprobs[i]:.4f}, "
                               f"the model gives {forced.logprobs[i]:.4f} (tolerance {tolerance})")
        why = _outside_settings(resp.settings or {}, forced, i, epsilon)
        if why:
            return ForcedCheck(False, n, worst, i, f"token #{i} ({resp.token_ids[i]}) could not have been sampled: {why}")
    return ForcedCheck(True, n, worst)
