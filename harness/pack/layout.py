"""File names inside an evidence pack `results/<run_id>/` (documented in docs/records.md)."""

from __future__ import annotations

PACK_SCHEMA_VERSION = 2  # 2: columnar token store (records v3); 1 still read

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
LOGS = "logs"  # logs/run-<time>-<pid>.log: what engines and libraries printed, tracebacks (not evidence)
SHARD = "shard.json"  # a part's slice (run.shard=K/N): its index, count and samples (harness.runner.shards)

# Everything a pack directory may hold; a directory with anything else is not a pack (never written into).
PACK_ENTRIES = {CONFIG, SPEC, MODEL, RECORDS, PROMPTS, RUNS, SUMMARY, LMEVAL, MANIFEST, VERIFICATION, LOGS, SHARD, SHARD + ".tmp",
                CONFIG + ".tmp", SPEC + ".tmp", MODEL + ".tmp", RUNS + ".tmp", SUMMARY + ".tmp", LMEVAL + ".tmp", MANIFEST + ".tmp"}

# Not covered by the manifest: the manifest itself, what verifiers add later, and logs (written to the end).
UNHASHED = {MANIFEST}
UNHASHED_DIRS = {VERIFICATION, LOGS}
