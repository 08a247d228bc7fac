"""Which checkpoint tonight's run takes: the newest of a directory's sub-directories, or of a list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from harness.errors import ConfigError
from harness.history.read import step_of


def newest_checkpoint(checkpoints: str | list[str], *, file: str | None = None) -> Path:
    """The checkpoint with the highest step number in its name (checkpoint-1200, step_1200); where none
    carries a number, the latest modified. A directory's hidden entries and plain files are not checkpoints."""
    field = "nightly.checkpoints"
    if isinstance(checkpoints, str):
        root = Path(checkpoints).expanduser()
        if not root.is_dir():
            raise ConfigError(f"checkpoint directory {root} not found", file=file, field=field)
        candidates = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
        if not candidates:
            raise ConfigError(f"{root} holds no checkpoint directories", file=file, field=field)
    else:
        candidates = [Path(c).expanduser() for c in checkpoints]
        missing = [str(c) for c in candidates if not c.is_dir()]
        if not candidates or missing:
            raise ConfigError(f"checkpoint directories not found: {missing}" if missing else "the checkpoint list is empty", file=file, field=field)
    numbered = [c for c in candidates if step_of(c.name) is not None]
    if numbered:
        return max(numbered, key=lambda c: (step_of(c.name), c.stat().st_mtime, c.name)).resolve()
    return max(candidates, key=lambda c: (c.stat().st_mtime, c.name)).resolve()


def changed_since(pack_dir: Path, checkpoint: Path) -> bool:
    """Whether any file of the checkpoint was written after the pack recorded the model's hashes (model.json):
    a checkpoint still being written when a night failed on it, completed since."""
    recorded = pack_dir / "model.json"
    if not recorded.is_file():
        return False
    since = recorded.stat().st_mtime
    return any(p.is_file() and p.stat().st_mtime > since for p in checkpoint.rglob("*"))


def set_aside(pack_dir: Path) -> Path:
    """Move a failed night's pack out of the way (renamed beside itself, never deleted): its records and hashes
    belong to files the checkpoint no longer holds, and a run would refuse to resume it."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = pack_dir.with_name(f"{pack_dir.name}.stale-{stamp}")
    n = 0
    while target.exists():
        n += 1
        target = pack_dir.with_name(f"{pack_dir.name}.stale-{stamp}-{n}")
    pack_dir.rename(target)
    return target
