"""harness: benchmark execution for the Sovereign AI Foundation Model evaluation."""

__version__ = "0.1.0"
