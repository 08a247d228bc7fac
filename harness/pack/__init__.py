"""The evidence pack on disk: its layout, the scores recomputed from records, and the manifest of hashes.

Pure Python (no vllm, no lm_eval): `verify` and `score` read packs with this on a laptop.
"""
