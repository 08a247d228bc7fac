"""`harness receipt PACK`: what a team hands over with its scores (run id, manifest sha256, model hashes), so
the pack cannot be swapped or rewritten after submission without `harness score` noticing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, RecordError
from harness.pack import layout
from harness.pack.hashing import sha256_file

USAGE = "usage: harness receipt PACK   (prints the receipt as JSON: harness receipt results/<run_id> > receipt.json)"


def receipt_of(pack: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "harness-receipt", "version": 1}
    for name in (layout.MANIFEST, layout.MODEL):
        if not (pack / name).is_file():
            raise RecordError(f"no {name}: not a finished evidence pack", file=pack / name)
    try:
        manifest = json.loads((pack / layout.MANIFEST).read_text(encoding="utf-8"))
        model = json.loads((pack / layout.MODEL).read_text(encoding="utf-8"))
    except ValueError as err:
        raise RecordError(f"not valid JSON ({err})", file=pack) from None
    out["run_id"] = manifest.get("run_id")
    out["manifest_sha256"] = sha256_file(pack / layout.MANIFEST)
    # The hashes only: paths differ between the team's machine and the verifier's.
    out["model"] = {k: model.get(k) for k in ("weights", "config", "tokenizer", "chat_template") if k in model}
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0].startswith("-"):
        raise ConfigError(USAGE)
    pack = Path(argv[0]).resolve()
    if not pack.is_dir():
        raise RecordError("evidence pack directory not found", file=pack)
    print(json.dumps(receipt_of(pack), indent=2, ensure_ascii=False))
    return 0
