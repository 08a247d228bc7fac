"""The merge a sharded job does by itself: the shard that finishes last (and finds every part complete)
merges the pack; `harness merge` does the same by hand or as a job that depends on the shards' job array."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from harness.pack import layout
from harness.pack.hashing import sha256_file
from harness.runner.shards import part_dir, parts_dir

LOCK = ".merge.lock"


def already_merged(pack: Path, parts: list[Path]) -> bool:
    """Whether `pack` is the merge of exactly these parts as they are now (their manifests unchanged)."""
    manifest = pack / layout.MANIFEST
    if not manifest.is_file():
        return False
    merged_from = json.loads(manifest.read_text()).get("merged_from") or []
    now = sorted(sha256_file(p / layout.MANIFEST) for p in parts if (p / layout.MANIFEST).is_file())
    return len(now) == len(parts) and sorted(m.get("manifest_sha256") for m in merged_from) == now


def merge_when_complete(pack: Path, n: int, say: Callable[[str], None]) -> bool:
    """Merge the N parts into `pack` if every one is finished and nobody else is merging; True when the pack
    is there (merged now or before)."""
    from harness.merge.parts import check_parts
    from harness.merge.write import write_merged

    pack = Path(pack)
    parts = [part_dir(pack, k, n) for k in range(1, n + 1)]
    waiting = [f"{k}/{n}" for k, p in enumerate(parts, start=1) if not (p / layout.MANIFEST).is_file()]
    if waiting:
        say(f"waiting for part(s) {', '.join(waiting)}; the last shard to finish merges them into {pack} "
            f"(or: harness merge {parts_dir(pack)} out={pack})")
        return False
    if already_merged(pack, parts):
        say(f"{pack} is merged from these parts already")
        return True
    lock = parts_dir(pack) / LOCK
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        say(f"another shard is merging the parts into {pack} ({lock})")
        return False
    try:
        os.write(fd, f"{os.getpid()}\n".encode())
        os.close(fd)
        checked = check_parts(parts)
        from harness.merge.cli import check_out

        check_out(pack)
        write_merged(checked, pack)
        say(f"merged {n} parts → {pack}")
        return True
    finally:
        lock.unlink(missing_ok=True)
