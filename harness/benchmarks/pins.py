"""Pinned, hashed data: a hub run reads only datasets whose benchmark config pins a revision (or says it may
not, and then records the commit it read); the files behind every dataset a run reads are hashed into the
manifest; a verifier's data is compared with the pack's before any compute, naming the first differing file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.config.spec import RunSpec
from harness.errors import ConfigError, DataError
from harness.pack.hashing import sha256_file
from harness.paths import CONFIG_DIR


def unpinned(spec: RunSpec) -> list[tuple[str, str]]:
    """(benchmark, dataset id) of every hub dataset the run would read at no pinned revision."""
    from harness.benchmarks.factory import reads_hub_data

    return [(b.name, d.id) for b in spec.benchmarks if reads_hub_data(b) for d in b.datasets if not d.revision]


def check_pins(spec: RunSpec) -> None:
    """Before any data loads: a hub run at a moving head is refused unless data.allow_unpinned=true."""
    if spec.data.source != "hub" or spec.data.allow_unpinned:
        return
    missing = unpinned(spec)
    if missing:
        first = missing[0][0]
        raise ConfigError(f"{len(missing)} hub dataset(s) have no pinned revision ({', '.join(f'{b}: {d}' for b, d in missing[:8])}"
                          f"{', …' if len(missing) > 8 else ''}): a verifier could not prove it scored the same items. Pin them with "
                          "`python scripts/fetch_datasets.py --suite <suite> --out <mirror> --pin-configs`, or run with "
                          "data.allow_unpinned=true (the commit read is then resolved and recorded in the manifest)",
                          file=CONFIG_DIR / "benchmark" / f"{first}.yaml", field="datasets.revision")


def loaded_files(dataset: Any) -> dict[str, str]:
    """sha256 of the files behind a loaded `datasets` object (its Arrow cache files, per split), by path."""
    cache = getattr(dataset, "cache_files", None)
    if isinstance(cache, dict):  # DatasetDict: split → [{"filename": …}]
        entries = [e for v in cache.values() for e in v]
    else:
        entries = list(cache or [])
    paths = sorted({Path(e["filename"]) for e in entries if isinstance(e, dict) and e.get("filename")})
    return {str(p): sha256_file(p) for p in paths if p.is_file()}


def _by_name(files: dict[str, str]) -> dict[str, str]:
    return {Path(p).name: h for p, h in files.items()}


def first_difference(recorded: list[dict[str, Any]], now: list[dict[str, Any]]) -> str | None:
    """The first way the verifier's datasets (`now`, as the resolver recorded them) differ from the pack's
    manifest (`recorded`), in words, or None. Datasets are matched by (id, config); files by name (paths differ
    between machines). Read from different sources (hub cache vs mirror files), only revisions compare."""
    ours = {(d["id"], d.get("config")): d for d in now}
    for d in recorded:
        mine = ours.get((d["id"], d.get("config")))
        if mine is None:
            continue  # a benchmark the verifier does not load (not re-runnable)
        label = f"{d['id']} ({d.get('config') or 'default'})"
        if d.get("revision") and mine.get("revision") and d["revision"] != mine["revision"]:
            return f"{label}: the run read revision {d['revision']}, the verifier has {mine['revision']}"
        if d.get("source") != mine.get("source"):
            continue
        theirs, have = _by_name(d.get("files") or {}), _by_name(mine.get("files") or {})
        for name in sorted(set(theirs) | set(have)):
            if theirs.get(name) != have.get(name):
                if name not in have:
                    return f"{label}: file {name} was read by the run but is not in the verifier's copy"
                if name not in theirs:
                    return f"{label}: file {name} is in the verifier's copy but was not read by the run"
                return f"{label}: file {name} has sha256 {have[name][:12]}… here, {theirs[name][:12]}… in the run's manifest"
    return None


def check_same_data(pack: Path, recorded: list[dict[str, Any]] | None, now: list[dict[str, Any]]) -> None:
    why = first_difference(recorded or [], now)
    if why:
        raise DataError(f"the verifier's data is not the run's: {why}. No verdict was written: fetch the revision the run read "
                        "(its manifest's `datasets`), or, if that is what you have, the run did not read the pinned data",
                        file=pack / "manifest.json", field="datasets")
