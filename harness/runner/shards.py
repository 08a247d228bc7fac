"""Shards: one job's work split into N deterministic slices, each run by its own process into a part.

The unit is a sample of a benchmark with all its runs: its requests' seeds derive from (run seed, benchmark,
sample id, run) alone, so a sample's records are the same whichever process makes them, and its runs stay
together (a multiple-choice sample's log-likelihoods are computed once for all runs). Samples are dealt
round-robin in suite order (benchmark after benchmark, each in its dataset order): slice K of N holds the
samples at positions K-1, K-1+N, … of that list, so every shard gets a share of every benchmark and the
slices differ in size by at most one sample.

A part is a pack directory `<pack>.parts/shard-K-of-N/` holding what a pack holds up to its records
(config.yaml with `run.shard`, model.json, records/, prompts/, spec.json, the per-record hash indexes) plus
`shard.json` (which samples are its own) and a manifest; `harness merge` (harness.merge) joins the N parts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.errors import ConfigError

SHARD_FILE = "shard.json"
PARTS_SUFFIX = ".parts"
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> tuple[int, int]:
    """"K/N" → (K, N), 1 ≤ K ≤ N."""
    m = _SHARD.match(str(text))
    if not m:
        raise ValueError(f"run.shard must be K/N, e.g. 2/8 (the 2nd of 8 slices); got {text!r}")
    k, n = int(m.group(1)), int(m.group(2))
    if not 1 <= k <= n:
        raise ValueError(f"run.shard {text!r}: K must be between 1 and N")
    return k, n


def part_name(k: int, n: int) -> str:
    return f"shard-{k}-of-{n}"


def parts_dir(pack_dir: Path) -> Path:
    """Where the parts of the pack `pack_dir` go: a sibling directory, so the pack itself is only ever the merge."""
    pack_dir = Path(pack_dir)
    return pack_dir.with_name(pack_dir.name + PARTS_SUFFIX)


def part_dir(pack_dir: Path, k: int, n: int) -> Path:
    return parts_dir(pack_dir) / part_name(k, n)


def assign(sample_ids: Mapping[str, Sequence[str]], k: int, n: int) -> dict[str, list[str]]:
    """The samples of slice K of N, per benchmark, from every benchmark's sample ids in suite order."""
    mine: dict[str, list[str]] = {}
    pos = 0
    for bench, ids in sample_ids.items():
        mine[bench] = []
        for sid in ids:
            if pos % n == k - 1:
                mine[bench].append(sid)
            pos += 1
    return mine


def shard_doc(k: int, n: int, run_id: str, pack_dir: Path, samples: dict[str, list[str]]) -> dict[str, Any]:
    """shard.json: which slice this part is, of which pack, and the samples that are its own."""
    return {"shard": f"{k}/{n}", "index": k, "count": n, "run_id": run_id, "pack": str(pack_dir), "samples": samples}


def claim_shard_file(part: Path, doc: dict[str, Any]) -> None:
    """Write shard.json, or check that a resumed part was sliced the same way (same samples, same data)."""
    path = part / SHARD_FILE
    if path.exists():
        recorded = json.loads(path.read_text())
        if recorded.get("samples") != doc["samples"] or recorded.get("shard") != doc["shard"]:
            raise ConfigError(f"{part} was started as a slice with other samples than this run's (the suite, "
                              "data or max_samples changed); nothing was changed", file=path, field="samples")
        return
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    tmp.replace(path)
