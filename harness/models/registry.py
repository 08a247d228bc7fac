"""Models the harness can build locally on first use (`model.build`), so demos and tests need no hub.

A builder writes only into its own home, `<cache>/models/<name>`, and only when that directory does not
exist yet or carries the marker a previous build left. Any other `model.path` switches building off: the
path is then a checkpoint like any other, checked and never written. A mistyped checkpoint path must fail
loudly rather than become a freshly built stand-in model, and a team's checkpoint must never be replaced.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from harness.config.spec import ModelSpec
from harness.errors import ConfigError

MARKER = ".harness-built"


def _tiny(out: Path) -> None:
    from harness.models.tiny import build_tiny_model

    build_tiny_model(out)


def _gemma(out: Path) -> None:
    from harness.models.gemma import convert_gemma3_270m

    convert_gemma3_270m(out)


# name → (builder, directory name under <cache>/models)
BUILDERS: dict[str, tuple[Callable[[Path], None], str]] = {"tiny": (_tiny, "tiny"), "gemma3_270m": (_gemma, "gemma3-270m")}


def builder_home(build: str) -> Path:
    """The one directory the builder `build` may write: `<HARNESS_CACHE>/models/<name>`."""
    from harness.paths import cache_dir

    return cache_dir() / "models" / BUILDERS[build][1]


def builds_here(model: ModelSpec) -> bool:
    """True when `model.path` is the builder's own home, i.e. building applies to this job."""
    if not model.build or not model.path:
        return False
    if model.build not in BUILDERS:
        raise ConfigError(f"unknown model builder {model.build!r}; known: {sorted(BUILDERS)}", file=model.config_file, field="model.build")
    return os.path.realpath(model.path) == os.path.realpath(builder_home(model.build))


def ensure_model(model: ModelSpec, say: Callable[[str], None] = lambda _msg: None) -> None:
    """Build the model into its home if the config names a builder and the home is not built yet.

    Never touches a directory it did not create: a home that exists without the marker is an error, and a
    `model.path` other than the home is used as given (building off).
    """
    if not builds_here(model):
        return
    out = Path(model.path)
    if (out / MARKER).exists():
        return
    if out.exists() or out.is_symlink():
        raise ConfigError(
            f"{out} exists but was not built by the harness (no {MARKER}); it is left as it is. "
            "Point model.path at your checkpoint, or move that directory away to let the harness build "
            f"the {model.build} model there", file=model.config_file, field="model.path")
    out.parent.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(out.parent / f".{out.name}.harness-lock", os.O_CREAT | os.O_RDWR, 0o644)  # never truncates
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)  # parallel jobs build once
        if (out / MARKER).exists():
            return
        if out.exists() or out.is_symlink():  # appeared while we waited, not ours: same rule as above
            raise ConfigError(f"{out} appeared while waiting to build and was not built by the harness", file=model.config_file, field="model.path")
        say(f"building the {model.build} model into {out} (once)…")
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.harness-build-", dir=out.parent))  # ours alone
        try:
            BUILDERS[model.build][0](tmp)
            (tmp / MARKER).write_text(model.build + "\n")
            os.rename(tmp, out)  # fails rather than replaces if `out` exists by now
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    finally:
        os.close(lock_fd)
