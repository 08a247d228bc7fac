"""Running the weight route on fixture models: summaries cached per reference, verdicts per component."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from harness.lineage.checkpoint import Checkpoint
from harness.lineage.compare import Comparison, Options, compare
from harness.lineage.decide import decide
from harness.lineage.summary import Summary, summarise

ALPHA = 1e-6
COMPONENTS = ["language_model", "embeddings", "vision_encoder", "audio_encoder"]
OPTIONS = Options(n_perm=100)


@lru_cache(maxsize=8)
def summary(path: Path) -> Summary:
    return summarise(Checkpoint.open(path))


def run(candidate: Path, reference: Path) -> tuple[dict[str, dict], Comparison]:
    cmp = compare(Checkpoint.open(candidate), summary(reference), OPTIONS)
    return {c["name"]: c for c in decide([cmp], alpha=ALPHA, inconclusive_alpha=1e-3, components=COMPONENTS)}, cmp


def brief(v: dict[str, dict]) -> dict:
    return {k: (c["verdict"], c["p_value"], (c.get("test") or {}).get("kind")) for k, c in v.items()}
