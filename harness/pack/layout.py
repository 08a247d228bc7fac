"""File names inside an evidence pack `results/<run_id>/` (documented in docs/records.md)."""

from __future__ import annotations

PACK_SCHEMA_VERSION = 1

CONFIG = "config.yaml"  # the resolved config
SPEC = "spec.json"  # per benchmark: task, primary metric, effective generation settings, task versions
MODEL = "model.json"  # hashes of weights, tokenizer and chat template, taken before the first sample
RECORDS = "records"  # records/<benchmark>.jsonl, appended as samples complete
LINE_HASHES = ".sha256"  # records/<benchmark>.sha256: per record line "sha256 sample_id run", written at the end
PROMPTS = "prompts"  # prompts/<benchmark>.jsonl, content-addressed prompt texts
RUNS = "runs.json"  # per benchmark, per run: every metric's mean
SUMMARY = "summary.json"  # per benchmark: run scores, mean, SE, CI, variance split
LMEVAL = "lmeval_results.json"  # the same scores in lm-eval's results format
MANIFEST = "manifest.json"  # sha256 of every file above, environment, settings
VERIFICATION = "verification"  # verification/<timestamp>.json|md, written by `harness verify`

# Not covered by the manifest: the manifest itself, and what verifiers add later.
UNHASHED = {MANIFEST}
UNHASHED_DIRS = {VERIFICATION}
