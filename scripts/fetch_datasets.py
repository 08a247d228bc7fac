#!/usr/bin/env python
"""Mirror the datasets of one or more suites into a local directory for air-gapped sites.

    python scripts/fetch_datasets.py --suite global_common --suite nia --out /data/harness-mirror [--pin-configs]
    harness run suite=global_common data.root=/data/harness-mirror      # then, offline

Runs on the user's side with access to the Hugging Face Hub (gated sets such as GPQA need `huggingface-cli
login`). Each dataset is fetched at the revision its benchmark config pins; where none is pinned, the hub's
current commit is fetched and recorded in MIRROR.json; `--pin-configs` writes it into the configs/benchmark/*.yaml
that leave `revision: null`, so later runs (and their manifests) name it. A run reading the mirror refuses one
fetched at another revision than its config pins.
No benchmark data is committed to this repository; mind each dataset's licence (docs/benchmarks-catalogue.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", action="append", required=True, help="suite config name (repeatable)")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--pin-configs", action="store_true", help="write fetched revisions into unpinned benchmark configs")
    args = ap.parse_args()

    from harness.config.compose import compose
    from harness.config.spec import build_run_spec
    from harness.benchmarks.mirror import mirror, pin_configs

    specs = [build_run_spec(compose("run", [f"suite={s}", "model=tiny", "data=default"])) for s in args.suite]
    doc = mirror(specs, args.out)
    for d in doc["datasets"]:
        print(f"{d['id']} [{d['config']}] @ {d['revision']}: {len(d['files'])} split(s)")
    print(f"wrote {args.out / 'MIRROR.json'}")
    if args.pin_configs:
        for file, dataset, sha in pin_configs(doc):
            print(f"pinned {dataset} @ {sha} in {file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
