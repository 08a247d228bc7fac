"""Models the harness can build locally on first use (`model.build`), so demos and tests need no hub."""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Callable
from pathlib import Path

from harness.config.spec import ModelSpec
from harness.errors import ConfigError


def _tiny(out: Path) -> None:
    from harness.models.tiny import build_tiny_model

    build_tiny_model(out)


def _gemma(out: Path) -> None:
    from harness.models.gemma import convert_gemma3_270m

    convert_gemma3_270m(out)


BUILDERS: dict[str, Callable[[Path], None]] = {"tiny": _tiny, "gemma3_270m": _gemma}


def ensure_model(model: ModelSpec) -> None:
    """Build the model into model.path if it names a builder and the directory is not complete yet."""
    if not model.build:
        return
    if model.build not in BUILDERS:
        raise ConfigError(f"unknown model builder {model.build!r}; known: {sorted(BUILDERS)}", file=model.config_file, field="model.build")
    out = Path(model.path)
    done = out / ".harness-built"
    if done.exists():
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "w") as lock:  # parallel jobs build once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return
        tmp = out.parent / f".{out.name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        BUILDERS[model.build](tmp)
        (tmp / ".harness-built").write_text(model.build + "\n")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
