"""Statistics over runs and items: pure numpy/scipy, readable from records alone."""

from harness.stats.paired import PairedDiff, paired_difference
from harness.stats.summary import BenchmarkStats, summarise

__all__ = ["BenchmarkStats", "PairedDiff", "paired_difference", "summarise"]
