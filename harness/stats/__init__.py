"""Statistics over runs and items: pure numpy/scipy, readable from records alone."""

from harness.stats.summary import BenchmarkStats, summarise

__all__ = ["BenchmarkStats", "summarise"]
