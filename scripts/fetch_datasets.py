#!/usr/bin/env python
"""Mirror the datasets of one or more suites into a local directory for air-gapped sites.

    python scripts/fetch_datasets.py --suite global_common --suite nia --out /data/harness-mirror
    harness run suite=global_common data.root=/data/harness-mirror      # then, offline

Runs on the user's side with access to the Hugging Face Hub (gated sets such as GPQA need `huggingface-cli
login`). Each dataset is fetched at the revision its benchmark config pins; where none is pinned, the hub's
current commit is fetched and recorded in MIRROR.json — copy it into configs/benchmark/<name>.yaml to pin it.
No benchmark data is committed to this repository; mind each dataset's licence (docs/benchmarks-catalogue.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", action="append", required=True, help="suite config name (repeatable)")
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args()

    from harness.config.compose import compose
    from harness.config.spec import build_run_spec
    from harness.tasks.mirror import mirror

    specs = [build_run_spec(compose("run", [f"suite={s}", "model=tiny", "data=default"])) for s in args.suite]
    doc = mirror(specs, args.out)
    for d in doc["datasets"]:
        print(f"{d['id']} [{d['config']}] @ {d['revision']}: {len(d['files'])} split(s)")
    print(f"wrote {args.out / 'MIRROR.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
