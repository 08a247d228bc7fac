"""`harness merge PART… [out=PACK]`: join the parts of a sharded job into one evidence pack.

A PART is a part directory (`<pack>.parts/shard-K-of-N`) or the `<pack>.parts` directory holding them all.
`out` defaults to the pack the parts were made for. Exit 0 with the pack written (or already merged from
these same parts); 2 when the parts do not make one pack, naming them.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from harness.errors import RecordError
from harness.pack import layout
from harness.runner.shards import PARTS_SUFFIX, SHARD_FILE


def _expand(args: list[str]) -> list[Path]:
    paths: list[Path] = []
    for a in args:
        p = Path(a)
        if not p.exists():
            raise RecordError("no such part directory", file=p, field="parts")
        if not (p / SHARD_FILE).exists() and p.is_dir():
            inner = sorted(q for q in p.iterdir() if (q / SHARD_FILE).is_file())
            if inner:
                paths += inner
                continue
        paths.append(p)
    return paths


def check_out(out: Path) -> None:
    """The merge goes into a new or empty directory: never into anything that exists with files in it."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise RecordError(f"{out} exists and is not empty; nothing was changed. Choose another out=…", file=out, field="out")


def main(argv: list[str]) -> int:
    from harness.merge.auto import already_merged
    from harness.merge.parts import check_parts
    from harness.merge.write import write_merged

    outs = [a.split("=", 1)[1] for a in argv if a.startswith("out=")]
    unknown = [a for a in argv if "=" in a and not a.startswith("out=")]
    if unknown:
        raise RecordError(f"unknown setting {unknown[0].split('=', 1)[0]!r}: harness merge takes PART… and out=PACK", field=unknown[0])
    paths = _expand([a for a in argv if "=" not in a])
    if not outs:
        packs = {json.loads((p / SHARD_FILE).read_text()).get("pack") for p in paths if (p / SHARD_FILE).is_file()}
        if len(packs) != 1 or None in packs:
            raise RecordError("the parts name different packs; give out=PACK", field="out")
        outs = [packs.pop()]
    out = Path(outs[-1]).absolute()
    if out.name.endswith(PARTS_SUFFIX) or out.resolve() in {p.resolve() for p in paths}:
        raise RecordError("out names the parts themselves; give the pack's directory", file=out, field="out")
    if already_merged(out, paths):
        print(f"harness merge: {out} is merged from these parts already; nothing to do", file=sys.stderr)
        return 0
    t0 = time.perf_counter()
    parts = check_parts(paths)
    check_out(out)
    summary = write_merged(parts, out)
    n = sum(int(m["n_samples"]) for m in parts[0].spec["benchmarks"].values()) * int(parts[0].spec["repeats"])
    print(f"harness merge: {len(parts)} parts, {n} sample-runs → {out} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    from harness.console.table import print_summary

    print_summary(summary)
    print(f"evidence pack: {out}")
    return 0
