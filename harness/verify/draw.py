"""The draw: (benchmark, sample, run) triples a team could not predict, reproducible from the verifier's seed.

Uniform without replacement within each benchmark, stratified so every benchmark is represented: a fraction
f takes ceil(f · N_b) triples of benchmark b; a count n is split across benchmarks in proportion to their
sizes, at least one each. Each benchmark's draw is a prefix of one permutation of its records, seeded from
(verifier seed, run id, benchmark): draws of one seed are nested (the 5 % draw lies inside the 20 % draw),
so widening a draw only adds triples, and anyone holding the pack and the seed re-derives the same draw.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, order=True)
class Triple:
    benchmark: str
    sample_id: str
    run: int

    def to_dict(self) -> dict:
        return {"benchmark": self.benchmark, "sample_id": self.sample_id, "run": self.run}


def _rng(seed: int, run_id: str, benchmark: str) -> np.random.Generator:
    digest = hashlib.sha256(f"verify\x1f{seed}\x1f{run_id}\x1f{benchmark}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def _allocate(sizes: dict[str, int], fraction: float | None, samples: int | None) -> dict[str, int]:
    if samples is not None:
        total = sum(sizes.values())
        alloc = {b: max(1, round(samples * n / total)) for b, n in sizes.items()}
    else:
        alloc = {b: max(1, math.ceil((fraction or 0.0) * n)) for b, n in sizes.items()}
    return {b: min(k, sizes[b]) for b, k in alloc.items()}


def draw(population: dict[str, list[tuple[str, int]]], *, seed: int, run_id: str,
         fraction: float | None = None, samples: int | None = None) -> list[Triple]:
    """`population[benchmark]` lists every recorded (sample_id, run)."""
    if (fraction is None) == (samples is None):
        raise ValueError("give exactly one of fraction or samples")
    sizes = {b: len(keys) for b, keys in population.items() if keys}
    out = []
    for bench, k in sorted(_allocate(sizes, fraction, samples).items()):
        keys = sorted(population[bench])
        picks = permutation(seed, run_id, bench, len(keys))[:k]
        out += [Triple(bench, keys[i][0], keys[i][1]) for i in sorted(picks)]
    return out


def permutation(seed: int, run_id: str, benchmark: str, n: int) -> np.ndarray:
    """The benchmark's order of drawing: a draw of k triples is its first k."""
    return _rng(seed, run_id, benchmark).permutation(n)
