"""The seed contract: every request's seed derives from (run seed, benchmark, sample id, run index).

lm-eval's `--seed` never reaches vLLM and its `repeats` clones share one seed, so five "runs" can come out
identical. We derive a seed per request, pass it to the engine (`SamplingParams.seed`) and record it, so a
sample re-run alone with its recorded seed repeats its output.
"""

from __future__ import annotations

import hashlib

SEED_BITS = 63  # vLLM and torch accept any non-negative int64


def run_seed(base_seed: int, run: int) -> int:
    """The seed of run `run` (0-based) of a job whose base seed is `base_seed`."""
    return _derive("run", base_seed, run)


def request_seed(run_seed_: int, benchmark: str, sample_id: str, run: int, repeat: int = 0) -> int:
    """The seed of one request. `repeat` distinguishes a task's own repeats of one sample within a run."""
    parts: tuple[object, ...] = (run_seed_, benchmark, sample_id, run)
    return _derive("request", *(parts + ((repeat,) if repeat else ())))


def _derive(kind: str, *parts: object) -> int:
    text = "\x1f".join([kind, *map(str, parts)])
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - SEED_BITS)
