"""The benchmark configs as a catalogue: which benchmarks exist and which official section each counts for.
Each benchmark's own config is the one place that says so; suites, the scoring rules and the tests read it
from here rather than restating lists."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from harness.paths import CONFIG_DIR


@lru_cache(maxsize=8)
def _sections(config_dir: str) -> dict[str, tuple[str, ...]]:
    out = {}
    for path in sorted(Path(config_dir, "benchmark").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        out[path.stem] = tuple(doc.get("sections") or ())
    return out


def benchmark_names(config_dir: Path = CONFIG_DIR) -> list[str]:
    return sorted(_sections(str(config_dir)))


def benchmarks_in_section(section: str, config_dir: Path = CONFIG_DIR) -> list[str]:
    """Every benchmark config whose `sections` includes `section`, by name."""
    return sorted(n for n, secs in _sections(str(config_dir)).items() if section in secs)
