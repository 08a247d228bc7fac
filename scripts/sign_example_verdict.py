"""Reseal and sign the shipped scoring example's pack (configs/scoring/examples/packs/nia-team-a).

That pack is illustrative: a summary.json built to reproduce the published phase-1 figures, with no records,
so `harness verify` cannot re-run it. This script gives it what a verified pack has, so `harness score` reads
it the way it reads a real one: a manifest hashing its files, and a verdict statement naming that manifest's
sha256, signed with a key made here and thrown away at the end (only its public half is kept, in
configs/scoring/examples/keys/example-verifier.pub, which configs/scoring/phase1-example.yaml accepts). With
the private key gone, nothing new can be signed by it. Run again after editing the example pack:

    python scripts/sign_example_verdict.py
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from harness.pack import layout
from harness.pack.hashing import pack_files, sha256_file
from harness.paths import CONFIG_DIR
from harness.signing.keys import load_private, new_key_pair, sign

EXAMPLES = CONFIG_DIR / "scoring" / "examples"
PACK = EXAMPLES / "packs" / "nia-team-a"
PUBLIC = EXAMPLES / "keys" / "example-verifier.pub"


def main() -> None:
    summary = json.loads((PACK / layout.SUMMARY).read_text())
    manifest = {"schema_version": 1, "run_id": summary["run_id"], "note": "illustrative pack: scripts/sign_example_verdict.py",
                "files": pack_files(PACK)}
    (PACK / layout.MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    statement = {"kind": "harness-verdict", "version": 1, "created": created, "pack": summary["run_id"],
                 "manifest_sha256": sha256_file(PACK / layout.MANIFEST), "verdict": "PASS",
                 "draw": {"seed": None, "fraction": None, "samples": None, "triples": []},
                 "reasons": ["illustrative: signed by scripts/sign_example_verdict.py, not by a re-run"]}
    with tempfile.TemporaryDirectory() as tmp:
        private, public = new_key_pair(Path(tmp), "example-verifier")
        signature = sign(statement, load_private(private))
        PUBLIC.parent.mkdir(parents=True, exist_ok=True)
        PUBLIC.write_text(public.read_text())
    vdir = PACK / layout.VERIFICATION
    for old in vdir.glob("*.json"):  # this script's own earlier verdicts only
        if "scripts/sign_example_verdict.py" in old.read_text():
            old.unlink()
    vdir.mkdir(exist_ok=True)
    doc = {"schema_version": 2, "created": created, "pack": summary["run_id"], "verdict": "PASS",
           "manifest_sha256": statement["manifest_sha256"], "statement": statement, "signature": signature.to_dict()}
    name = dt.datetime.fromisoformat(created).strftime("%Y%m%dT%H%M%SZ") + ".json"
    (vdir / name).write_text(json.dumps(doc, indent=2) + "\n")
    print(f"signed {vdir / name} with key {signature.key_id}; public key in {PUBLIC}")


if __name__ == "__main__":
    main()
