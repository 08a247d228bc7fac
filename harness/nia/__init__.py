"""The NIA format: private evaluation sets given as local JSONL files, run with no code change."""
