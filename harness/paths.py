"""Where the project's own files live. Configs and task definitions sit beside the package in the repo."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = Path(os.environ.get("HARNESS_CONFIG_DIR", REPO_ROOT / "configs"))
TASKS_DIR = Path(os.environ.get("HARNESS_TASKS_DIR", REPO_ROOT / "tasks"))
SAMPLES_DIR = TASKS_DIR / "samples"
CACHE_DIR = Path(os.environ.get("HARNESS_CACHE", Path.home() / ".cache" / "harness"))


def cache_dir() -> Path:
    """The harness's cache (built models, logs of commands that have no pack), read when asked."""
    return Path(os.environ.get("HARNESS_CACHE", Path.home() / ".cache" / "harness"))
