"""`harness compare`: two evidence packs, per benchmark the paired difference over shared items with its
error bars and a verdict (improved / unchanged / regressed). Pure Python: reads records, never imports vllm
or lm_eval."""

from harness.compare.core import VERDICTS, BenchmarkComparison, Comparison, compare_packs, verdict_of

__all__ = ["VERDICTS", "BenchmarkComparison", "Comparison", "compare_packs", "verdict_of"]
