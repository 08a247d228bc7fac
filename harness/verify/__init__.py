"""`harness verify`: check an evidence pack's integrity, re-run a random subset, compare, give a verdict.

Integrity, the draw and the comparison are pure (no vllm, no lm_eval); only the re-run touches an engine.
"""
